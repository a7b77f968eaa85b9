/**
 * Keeps the inventory in step with Google. The full sync walks every OU's devices in parallel (one
 * sequential listing per OU, as Google's paging requires), saves its place after every page so an
 * interrupted run resumes, and tombstones what Google no longer lists. The incremental sync asks
 * only for devices synced since the last run (`sync:` query).
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { ChromeOsDevice, DirectoryAdapter } from "../google/directory";
import type { TelemetryAdapter } from "../google/telemetry";
import type { Logger } from "../log";
import {
  type DeviceRow,
  readSyncState,
  tombstoneUnseen,
  updateTelemetry,
  upsertDevices,
  writeSyncState,
} from "../store/devices";
import type { Database } from "../store/schema";

export interface SyncProgress {
  kind: "full" | "incremental";
  runId: string;
  startedAt: string;
  finishedAt?: string;
  ousTotal: number;
  ousDone: number;
  devicesSeen: number;
  removed?: number;
  /** Per OU still to finish: the page token to continue from ("" = from the start). */
  pending: Record<string, string>;
}

const fullSyncState = "inventory.full";

/** Only the fields the inventory keeps: a fraction of a FULL device, so pages travel and parse faster. */
export const syncFields = `nextPageToken,chromeosdevices(${[
  "deviceId",
  "serialNumber",
  "status",
  "orgUnitPath",
  "model",
  "osVersion",
  "autoUpdateThrough",
  "lastSync",
  "annotatedUser",
  "annotatedAssetId",
  "annotatedLocation",
  "notes",
  "recentUsers",
  "macAddress",
  "lastKnownNetwork",
].join(",")})`;
const lastSyncState = "inventory.last";

export function toDeviceRow(device: ChromeOsDevice, runId: string | null, at: string): DeviceRow {
  return {
    deviceId: device.deviceId as string,
    serialNumber: device.serialNumber ?? null,
    status: device.status ?? null,
    orgUnitPath: device.orgUnitPath ?? null,
    model: device.model ?? null,
    osVersion: device.osVersion ?? null,
    aueDate: device.autoUpdateThrough ?? null,
    lastSync: device.lastSync ?? null,
    annotatedUser: device.annotatedUser || null,
    annotatedAssetId: device.annotatedAssetId || null,
    annotatedLocation: device.annotatedLocation || null,
    notes: device.notes || null,
    recentUsers: JSON.stringify((device.recentUsers ?? []).map((u) => u.email).filter(Boolean)),
    macAddress: device.macAddress ?? null,
    lastKnownNetwork: JSON.stringify(device.lastKnownNetwork ?? []),
    ...(runId ? { seenInRun: runId } : {}),
    syncedAt: at,
  };
}

export interface SyncOptions {
  /** OU listings run at once; the Google client's limiter still caps calls. */
  parallelOus?: number;
  onProgress?: (progress: SyncProgress) => void;
  now?: () => Date;
  log?: Logger;
}

/** Walks one OU's pages from `pageToken`, saving the resume point after each page. */
async function walkOu(
  db: Kysely<Database>,
  directory: DirectoryAdapter,
  progress: SyncProgress,
  ou: string,
  options: SyncOptions,
): Promise<void> {
  const now = options.now ?? (() => new Date());
  let pageToken = progress.pending[ou] || undefined;
  do {
    const page = await directory.listDevicesPage({
      orgUnitPath: ou,
      includeChildOrgunits: false,
      pageToken,
      fields: syncFields,
    });
    const at = now().toISOString();
    await upsertDevices(
      db,
      page.devices.filter((d) => d.deviceId).map((d) => toDeviceRow(d, progress.runId, at)),
      at,
    );
    progress.devicesSeen += page.devices.length;
    pageToken = page.nextPageToken;
    if (pageToken) progress.pending[ou] = pageToken;
    else {
      delete progress.pending[ou];
      progress.ousDone += 1;
    }
    await writeSyncState(db, fullSyncState, progress, at);
    options.onProgress?.(progress);
  } while (pageToken);
}

export async function fullSync(
  db: Kysely<Database>,
  directory: DirectoryAdapter,
  options: SyncOptions = {},
): Promise<SyncProgress> {
  const now = options.now ?? (() => new Date());
  const saved = await readSyncState<SyncProgress>(db, fullSyncState);
  let progress: SyncProgress;
  if (saved && !saved.finishedAt) {
    progress = saved;
    options.log?.info("inventory full sync resumes", {
      runId: saved.runId,
      ousLeft: Object.keys(saved.pending).length,
    });
  } else {
    const ous = (await directory.listOrgUnits()).map((ou) => ou.orgUnitPath as string).filter(Boolean);
    const all = ["/", ...ous.filter((p) => p !== "/")];
    progress = {
      kind: "full",
      runId: randomUUID(),
      startedAt: now().toISOString(),
      ousTotal: all.length,
      ousDone: 0,
      devicesSeen: 0,
      pending: Object.fromEntries(all.map((p) => [p, ""])),
    };
    await writeSyncState(db, fullSyncState, progress, progress.startedAt);
  }
  const queue = Object.keys(progress.pending);
  const workers = Array.from({ length: Math.min(options.parallelOus ?? 16, queue.length) }, async () => {
    for (let ou = queue.shift(); ou !== undefined; ou = queue.shift())
      await walkOu(db, directory, progress, ou, options);
  });
  await Promise.all(workers);
  const at = now().toISOString();
  progress.removed = await tombstoneUnseen(db, progress.runId, at);
  progress.finishedAt = at;
  await writeSyncState(db, fullSyncState, progress, at);
  await writeSyncState(db, lastSyncState, { startedAt: progress.startedAt, kind: "full" }, at);
  options.onProgress?.(progress);
  options.log?.info("inventory full sync finished", {
    runId: progress.runId,
    devices: progress.devicesSeen,
    removed: progress.removed,
  });
  return progress;
}

/**
 * Devices Google has seen sync since the last run started (a day of overlap: `sync:` takes dates).
 * Without an earlier run there is nothing to be incremental about: a full sync runs instead.
 */
export async function incrementalSync(
  db: Kysely<Database>,
  directory: DirectoryAdapter,
  options: SyncOptions = {},
): Promise<SyncProgress> {
  const now = options.now ?? (() => new Date());
  const last = await readSyncState<{ startedAt: string }>(db, lastSyncState);
  if (!last) return fullSync(db, directory, options);
  const startedAt = now().toISOString();
  const since = new Date(new Date(last.startedAt).getTime() - 86_400_000).toISOString().slice(0, 10);
  const progress: SyncProgress = {
    kind: "incremental",
    runId: randomUUID(),
    startedAt,
    ousTotal: 1,
    ousDone: 0,
    devicesSeen: 0,
    pending: {},
  };
  let pageToken: string | undefined;
  do {
    const page = await directory.listDevicesPage({ query: `sync:${since}..`, pageToken, fields: syncFields });
    const at = now().toISOString();
    await upsertDevices(
      db,
      page.devices.filter((d) => d.deviceId).map((d) => toDeviceRow(d, null, at)),
      at,
    );
    progress.devicesSeen += page.devices.length;
    pageToken = page.nextPageToken;
    options.onProgress?.(progress);
  } while (pageToken);
  progress.ousDone = 1;
  progress.finishedAt = now().toISOString();
  await writeSyncState(db, lastSyncState, { startedAt, kind: "incremental" }, progress.finishedAt);
  options.log?.info("inventory incremental sync finished", { since, devices: progress.devicesSeen });
  return progress;
}

/** Copies battery health and disk use from Chrome Management telemetry onto the inventory. */
export async function syncTelemetry(
  db: Kysely<Database>,
  telemetry: TelemetryAdapter,
  now: () => Date = () => new Date(),
): Promise<number> {
  let pageToken: string | undefined;
  let updated = 0;
  do {
    const page = await telemetry.listPage(pageToken);
    const at = now().toISOString();
    for (const device of page.devices) {
      if (!device.deviceId) continue;
      const battery = device.batteryStatusReport?.at(-1);
      await updateTelemetry(db, device.deviceId, {
        batteryHealth: battery?.batteryHealth ?? null,
        batteryCycleCount: battery?.cycleCount ?? null,
        diskTotalBytes: device.storageInfo?.totalDiskBytes ?? null,
        diskFreeBytes: device.storageInfo?.availableDiskBytes ?? null,
        telemetryAt: at,
      });
      updated += 1;
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  return updated;
}
