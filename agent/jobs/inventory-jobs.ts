/** The inventory's scheduled jobs: a nightly full sync and a frequent incremental one. */
import type { AgentConfig } from "../config";
import type { DirectoryAdapter } from "../google/directory";
import type { TelemetryAdapter } from "../google/telemetry";
import { fullSync, incrementalSync, syncTelemetry } from "../services/inventory-sync";
import type { JobDefinition } from "./runner";

/** How long a sync's lease lasts unrenewed: how soon another agent may take over after a crash. */
export const inventoryLeaseMs = 2 * 60_000;

/**
 * The two syncs write the same devices, so they run one at a time across every replica: the
 * nightly full sync waits for an incremental one to end (they take seconds to minutes); an
 * incremental tick during the full sync stands down, as the full sync takes in every device.
 */
const inventoryGroup = "inventory";

export function inventoryJobs(
  config: AgentConfig,
  directory: DirectoryAdapter,
  telemetry: TelemetryAdapter,
): JobDefinition[] {
  return [
    {
      name: "inventory-full-sync",
      title: "Inventory: full sync",
      description:
        "Walks every OU's devices in Google, marks devices Google no longer has as removed, and reads battery and disk telemetry. Waits for a running incremental sync to end first.",
      schedule: config.jobs.inventoryFullCron,
      timezone: config.jobs.timezone,
      leaseMs: inventoryLeaseMs,
      exclusive: { group: inventoryGroup, waitMs: 30 * 60_000 },
      async run({ db, log, progress, signal }) {
        // Told to stop, the sync stops between pages and throws: every page stored keeps its resume
        // point, no device is marked removed, and the next full sync resumes where this one stopped.
        const result = await fullSync(db, directory, {
          log,
          signal,
          onProgress: (p) =>
            void progress({
              ousDone: p.ousDone,
              ousTotal: p.ousTotal,
              devicesSeen: p.devicesSeen,
              ...(p.removalChecks && {
                unlistedDevicesChecked: `${p.removalChecks.done} of ${p.removalChecks.total}`,
              }),
            }).catch(() => {}),
        });
        signal.throwIfAborted();
        const synced = { ousDone: result.ousDone, ousTotal: result.ousTotal, devicesSeen: result.devicesSeen };
        await progress({ ...synced, phase: "telemetry" });
        const telemetryDevices = await syncTelemetry(db, telemetry, {
          directory,
          signal,
          onProgress: (p) =>
            void progress({
              ...synced,
              phase: "telemetry",
              telemetryListings: `${p.listingsDone} of ${p.listingsTotal}`,
              telemetryDevices: p.devicesUpdated,
            }).catch(() => {}),
        });
        return {
          ousTotal: result.ousTotal,
          devicesSeen: result.devicesSeen,
          removed: result.removed ?? 0,
          telemetryDevices,
        };
      },
    },
    {
      name: "inventory-incremental-sync",
      title: "Inventory: changes since last sync",
      description:
        "Asks Google for devices that synced since the last run (sync: query) and updates them. Stands down while the full sync runs, which takes in every device.",
      schedule: config.jobs.inventoryIncrementalCron,
      timezone: config.jobs.timezone,
      leaseMs: inventoryLeaseMs,
      exclusive: { group: inventoryGroup, waitMs: 0 },
      async run({ db, log, progress, signal }) {
        const result = await incrementalSync(db, directory, {
          log,
          signal,
          onProgress: (p) => void progress({ devicesSeen: p.devicesSeen }).catch(() => {}),
        });
        return { kind: result.kind, devicesSeen: result.devicesSeen };
      },
    },
  ];
}
