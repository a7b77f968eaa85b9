/**
 * The registry of collectors and the snapshot they make together. Every collector runs in
 * parallel under its own deadline, so a snapshot takes at most ~200 ms even when an API hangs.
 */
import type { DiagnosticsSnapshot } from "../../shared/diagnostics";
import battery from "./battery";
import { type Collector, runCollector, toWarnings } from "./collector";
import cpu from "./cpu";
import deviceAttributes from "./device-attributes";
import displays from "./displays";
import extensionInfo from "./extension-info";
import locale from "./locale";
import memory from "./memory";
import network from "./network";
import platform from "./platform";
import removableStorage from "./removable-storage";
import user from "./user";

/** Collectors the service worker runs. */
export const workerCollectors: Collector[] = [
  platform,
  cpu,
  memory,
  displays,
  removableStorage,
  deviceAttributes,
  network,
  user,
  extensionInfo,
  locale,
];

/** Collectors that need a window (`navigator.getBattery`); the popup runs them. */
export const windowCollectors: Collector[] = [battery];

export const collectorDeadlineMs = 180;

export async function collectDiagnostics(
  collectors: Collector[] = workerCollectors,
  deadlineMs = collectorDeadlineMs,
): Promise<DiagnosticsSnapshot> {
  const results = await Promise.all(collectors.map((c) => runCollector(c, deadlineMs)));
  const snapshot: DiagnosticsSnapshot = {
    collectedAt: new Date().toISOString(),
    warnings: [],
  };
  results.forEach((result, i) => {
    const name = collectors[i]?.name;
    if (!name) return;
    if (result.data !== undefined) Object.assign(snapshot, { [name]: result.data });
    snapshot.warnings.push(...toWarnings(name, result.warnings));
  });
  snapshot.warnings = snapshot.warnings.slice(0, 100);
  return snapshot;
}
