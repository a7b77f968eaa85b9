/**
 * The filter audit's device side: devices whose own extension reports something policy forbids —
 * a required extension missing or turned off (judged only where the district granted the
 * `management` permission), a proxy mode other than the baseline's, or any extension controlling
 * the proxy (a classic way round the district's filter).
 */
import type { Kysely } from "kysely";
import type { Baseline, DeviceDisagreement, SeenExtension } from "../../shared";
import type { Database } from "../store/schema";
import { enumValue, expectationsFor } from "./baseline";

export interface DeviceCompliance {
  /** Devices that disagree with policy, newest report first. */
  disagreeing: DeviceDisagreement[];
  /** Devices that reported at all, and those whose extensions could not be checked. */
  reporting: number;
  withoutManagement: number;
}

export function problemsOf(
  baseline: Baseline,
  report: {
    orgUnitPath?: string | null;
    managementGranted: boolean;
    extensions: SeenExtension[];
    proxyMode: string | null;
    proxyControl: string | null;
  },
): string[] {
  const expectations = expectationsFor(baseline, report.orgUnitPath ?? "/");
  const problems: string[] = [];
  if (report.managementGranted)
    for (const [appId, app] of expectations.apps) {
      const seen = report.extensions.find((e) => e.id === appId.replace(/^chrome:/, ""));
      if (!seen) problems.push(`${app.name} is not installed`);
      else if (!seen.enabled) problems.push(`${app.name} is turned off`);
    }
  const wanted = expectations.policies.get("chrome.users.SimpleProxySettings")?.get("simpleProxyMode");
  if (wanted !== undefined && report.proxyMode) {
    const mode = String(enumValue(wanted)).toLowerCase();
    if (mode !== report.proxyMode) problems.push(`The proxy is ${report.proxyMode}; policy says ${mode}`);
  }
  if (report.proxyControl === "controlled_by_other_extensions")
    problems.push("An extension has taken over the proxy settings");
  return problems;
}

export async function deviceCompliance(
  db: Kysely<Database>,
  baseline: Baseline,
  mayRead: (orgUnitPath: string | null) => boolean,
): Promise<DeviceCompliance> {
  const rows = await db
    .selectFrom("deviceCompliance")
    .leftJoin("devices", "devices.deviceId", "deviceCompliance.deviceId")
    .select([
      "deviceCompliance.deviceId",
      "deviceCompliance.reportedAt",
      "deviceCompliance.managementGranted",
      "deviceCompliance.extensions",
      "deviceCompliance.proxyMode",
      "deviceCompliance.proxyControl",
      "devices.serialNumber",
      "devices.orgUnitPath",
    ])
    .orderBy("deviceCompliance.reportedAt", "desc")
    .execute();
  const visible = rows.filter((row) => mayRead(row.orgUnitPath));
  const disagreeing: DeviceDisagreement[] = [];
  for (const row of visible) {
    const problems = problemsOf(baseline, {
      orgUnitPath: row.orgUnitPath,
      managementGranted: row.managementGranted === 1,
      extensions: JSON.parse(row.extensions) as SeenExtension[],
      proxyMode: row.proxyMode,
      proxyControl: row.proxyControl,
    });
    if (problems.length)
      disagreeing.push({
        deviceId: row.deviceId,
        serialNumber: row.serialNumber ?? undefined,
        orgUnitPath: row.orgUnitPath ?? undefined,
        reportedAt: row.reportedAt,
        problems,
      });
  }
  return {
    disagreeing,
    reporting: visible.length,
    withoutManagement: visible.filter((row) => row.managementGranted !== 1).length,
  };
}
