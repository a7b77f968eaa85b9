/**
 * Keeps the inventory in step with Google. The full sync walks every OU's devices in parallel (one
 * sequential listing per OU, as Google's paging requires), saves its place after every page so an
 * interrupted run resumes, and tombstones what Google no longer has. The incremental sync asks
 * only for devices synced since the last run (`sync:` query).
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { GoogleCallError } from "../google/client";
import type { ChromeOsDevice, DevicePageQuery, DirectoryAdapter } from "../google/directory";
import type { TelemetryAdapter, TelemetryDevice } from "../google/telemetry";
import type { Logger } from "../log";
import {
  buildIndexes,
  type DeviceRow,
  deferIndexesOfEmptyInventory,
  type IndexDefinition,
  readSyncState,
  type TelemetryRow,
  tombstoneUnseen,
  unseenDeviceIds,
  updateTelemetry,
  upsertDevices,
  writeDevices,
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
  /** Once the walk ends: the devices it did not list, asked about one by one (how many of how many). */
  removalChecks?: { done: number; total: number };
  /** Per OU still to finish: the page token to continue from ("" = from the start). */
  pending: Record<string, string>;
  /** Every OU the run walks, to tell an OU created since it began (absent from runs saved before). */
  ous?: string[];
  /** The search indexes a first load into an empty inventory builds when its walk ends. */
  deferredIndexes?: IndexDefinition[];
}

const fullSyncState = "inventory.full";

/**
 * Only the fields the inventory keeps: a fraction of a FULL device, so pages travel and parse faster
 * (of the recent users, only their addresses).
 */
export const syncDeviceFields = [
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
  "recentUsers(email)",
  "macAddress",
  "lastKnownNetwork",
].join(",");
export const syncFields = `nextPageToken,chromeosdevices(${syncDeviceFields})`;
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

/**
 * OU listings at once. Google's Directory quota is per minute (2,400), not per connection: more
 * listings in flight (the client allows 40) finish the walk sooner, while the limiter keeps the
 * minute's count, until parsing and storing pages fill the agent's one thread. Each listing in
 * flight costs about 2 MB of heap: on the 2-core benchmark machine 32 was as fast as 40 (4.1–4.5 s
 * against 4.2–4.6 s for 100,000 devices) at 225–245 MB peak against 250–265.
 */
export const defaultParallelOus = 32;

export interface SyncOptions {
  /** OU listings run at once; the Google client's limiter still caps calls. */
  parallelOus?: number;
  /**
   * The most devices a full sync checks one by one before it tombstones them (`removalsChecked`,
   * by default); when more are missing, all are tombstoned unchecked.
   */
  checkRemovalsUpTo?: number;
  /** Pages an incremental sync lists one after another before it walks the rest OU by OU. */
  incrementalPages?: number;
  onProgress?: (progress: SyncProgress) => void;
  /**
   * A run told to stop (another agent took its lease, a shutdown): the walk stops between pages,
   * every page stored keeping its resume point, nothing is marked removed, and the sync throws the
   * signal's reason. The next full sync resumes where this one stopped.
   */
  signal?: AbortSignal;
  now?: () => Date;
  log?: Logger;
}

/**
 * Group commit: what is queued while a write runs is written together by the next write, so a walk
 * of many pages costs few transactions and disk syncs. Each `add` settles once its item is written.
 */
class GroupCommit<T> {
  readonly #queue: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #flushing: Promise<void> | undefined;

  constructor(readonly writeAll: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#kick();
    });
  }

  #kick() {
    if (this.#flushing) return;
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length) this.#kick();
    });
  }

  async #flush() {
    await new Promise((resolve) => setImmediate(resolve)); // let items already arriving join this batch
    const batch = this.#queue.splice(0);
    try {
      await this.writeAll(batch.map((queued) => queued.item));
      for (const queued of batch) queued.resolve();
    } catch (error) {
      for (const queued of batch) queued.reject(error);
    }
  }
}

/** A page of devices, and what storing it advances in a run's progress (resume point, counts). */
interface DevicePage {
  rows: DeviceRow[];
  advance: (progress: SyncProgress) => void;
  /** Once the page is stored and the run's progress advanced. */
  stored: () => void;
}

/**
 * The full sync's pages are written with the run's resume point in one transaction, so a crash
 * never records a page as done before its devices are stored. The run's own progress moves on only
 * once the pages are stored: after a failed write, the pages other walkers still commit must not
 * save a resume point past the pages that were lost.
 */
function pageCommitter(db: Kysely<Database>, progress: SyncProgress, now: () => Date): GroupCommit<DevicePage> {
  return new GroupCommit(async (pages) => {
    const at = now().toISOString();
    const saved = structuredClone(progress);
    for (const page of pages) page.advance(saved);
    await db.transaction().execute(async (trx) => {
      const rows = pages.flatMap((page) => page.rows);
      for (let i = 0; i < rows.length; i += 500) await writeDevices(trx, rows.slice(i, i + 500), at);
      await writeSyncState(trx, fullSyncState, saved, at);
    });
    for (const page of pages) {
      page.advance(progress);
      page.stored();
    }
  });
}

/**
 * Walks one OU's pages from its saved page token; each page is committed with its resume point.
 * The next page is fetched while the last one waits for its commit (a walker holds at most two), so
 * listings stay in flight through a commit and more pages share each one.
 */
async function walkOu(
  directory: DirectoryAdapter,
  committer: GroupCommit<DevicePage>,
  progress: SyncProgress,
  ou: string,
  options: SyncOptions,
  stopped: () => boolean,
): Promise<void> {
  const now = options.now ?? (() => new Date());
  let pageToken = progress.pending[ou] || undefined;
  const savedToken = pageToken;
  let committed: Promise<void> = Promise.resolve();
  try {
    do {
      const query = { orgUnitPath: ou, includeChildOrgunits: false, pageToken, fields: syncFields };
      const page = await directory.listDevicesPage(query).catch((error: unknown) => {
        // A resumed run's page token can be one Google no longer takes (it refuses it as invalid):
        // that OU is listed again from its start, once; its devices already stored are simply rewritten.
        const refused = error instanceof GoogleCallError && error.failure.status === 400;
        if (!refused || !savedToken || pageToken !== savedToken) throw error; // only the first, saved one
        options.log?.warn("inventory full sync: a saved page token was refused, listing the OU again", {
          runId: progress.runId,
          ou,
          error: error.message,
        });
        return directory.listDevicesPage({ ...query, pageToken: undefined });
      });
      const at = now().toISOString();
      const rows = page.devices.filter((d) => d.deviceId).map((d) => toDeviceRow(d, progress.runId, at));
      // Only the rows and two figures wait for the commit: the parsed page can be collected now.
      const listed = page.devices.length;
      const next = page.nextPageToken;
      await committed; // pages of one OU are committed in order, so its resume point only advances
      committed = committer
        .add({
          rows,
          advance: (p) => {
            p.devicesSeen += listed;
            if (next) p.pending[ou] = next;
            else {
              delete p.pending[ou];
              p.ousDone += 1;
            }
          },
          stored: () => {
            // The log shows progress too: a line at every tenth of the OUs.
            const step = Math.max(1, Math.ceil(progress.ousTotal / 10));
            if (!next && (progress.ousDone % step === 0 || progress.ousDone === progress.ousTotal)) {
              options.log?.info("inventory full sync progress", {
                runId: progress.runId,
                ousDone: progress.ousDone,
                ousTotal: progress.ousTotal,
                devicesSeen: progress.devicesSeen,
              });
            }
          },
        })
        .then(() => options.onProgress?.(progress));
      // Awaited before the next page or in the catch below; until then a failed commit is not unhandled.
      committed.catch(() => undefined);
      pageToken = next;
    } while (pageToken && !stopped());
  } catch (error) {
    // A listing failed: the page before it is still stored with its resume point, then the walk stops.
    await committed.catch(() => undefined);
    throw error;
  }
  await committed;
}

/** The OU paths Google lists now, the root first. */
async function ouPaths(directory: DirectoryAdapter): Promise<string[]> {
  const ous = (await directory.listOrgUnits()).map((ou) => ou.orgUnitPath as string).filter(Boolean);
  return ["/", ...ous.filter((p) => p !== "/")];
}

/**
 * Brings a run's OUs in step with Google's tree. An OU deleted since the run began is dropped from
 * what is left to walk (listing it would fail, and a resumed run holding it would never finish); its
 * devices moved to another OU. An OU created since is added, or the devices moved into it would be
 * tombstoned. Returns the OUs added.
 */
function followOuTree(progress: SyncProgress, tree: string[], log?: Logger): string[] {
  const now = new Set(tree);
  for (const ou of Object.keys(progress.pending)) {
    if (now.has(ou)) continue;
    delete progress.pending[ou];
    progress.ousDone += 1;
    log?.warn("inventory full sync: an OU was deleted in Google during the run", { runId: progress.runId, ou });
  }
  if (!progress.ous) {
    progress.ous = tree; // saved by an earlier version: which OUs it walked is not known
    return [];
  }
  const walked = new Set(progress.ous);
  const added = tree.filter((ou) => !walked.has(ou));
  for (const ou of added) {
    progress.pending[ou] = "";
    progress.ous.push(ou);
    progress.ousTotal += 1;
    log?.info("inventory full sync: an OU was created in Google during the run", { runId: progress.runId, ou });
  }
  return added;
}

/** Whether a full sync started and did not finish (its agent stopped mid-run): its next run resumes it. */
export async function fullSyncUnfinished(db: Kysely<Database>): Promise<boolean> {
  const saved = await readSyncState<SyncProgress>(db, fullSyncState);
  return saved !== undefined && !saved.finishedAt;
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
    followOuTree(progress, await ouPaths(directory), options.log);
  } else {
    const all = await ouPaths(directory);
    progress = {
      kind: "full",
      runId: randomUUID(),
      startedAt: now().toISOString(),
      ousTotal: all.length,
      ousDone: 0,
      devicesSeen: 0,
      pending: Object.fromEntries(all.map((p) => [p, ""])),
      ous: all,
    };
    await db.transaction().execute(async (trx) => {
      const deferred = deferIndexesOfEmptyInventory(trx);
      if (deferred.length) progress.deferredIndexes = deferred;
      await writeSyncState(trx, fullSyncState, progress, progress.startedAt);
    });
  }
  const committer = pageCommitter(db, progress, now);
  const parallel = options.parallelOus ?? defaultParallelOus;
  const walkOus = (ous: string[], onLastTaken?: () => unknown) =>
    walkAll(
      ous,
      parallel,
      (ou, stopped) => walkOu(directory, committer, progress, ou, options, stopped),
      onLastTaken,
      options.signal,
    );
  // OUs created while the walk ran are walked too, before anything they hold could count as removed.
  // The tree is listed again as the last OU is taken, so that call overlaps the walk's last pages.
  let tree: Promise<string[]> | undefined;
  const listTreeAgain = (): Promise<string[]> => {
    if (!tree) {
      tree = ouPaths(directory);
      tree.catch(() => undefined); // awaited below, unless the walk fails first
    }
    return tree;
  };
  try {
    await walkOus(Object.keys(progress.pending), listTreeAgain);
    const added = followOuTree(progress, await listTreeAgain(), options.log);
    if (added.length) await walkOus(added);
  } catch (error) {
    // A failed first load leaves the inventory searchable as usual; its resumed run keeps the indexes up.
    await buildDeferredIndexes(db, progress, now, options.log).catch((buildError: unknown) =>
      options.log?.error("inventory full sync: building the search indexes failed", {
        runId: progress.runId,
        error: String(buildError),
      }),
    );
    throw error;
  }
  await buildDeferredIndexes(db, progress, now, options.log);
  const at = now().toISOString();
  progress.removed = await removeUnseen(db, directory, progress, at, options);
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
 * How many devices the walk missed a full sync asks Google about, one by one, before it tombstones
 * them. The walk lists each OU once, so a device moved in Google during the run from an OU still to
 * walk into one already walked (or into an OU created after the tree's last listing) is missed
 * though it is still there. Google answers a removed device with 404. More missing devices than
 * this is a removal, not that race: a cohort deleted, or the agent now speaks to another customer.
 * At Google's 2,400 calls a minute, 1,000 checks take 25 s.
 */
export const removalsChecked = 1_000;

/**
 * Tombstones the devices the run did not see and Google no longer has. A device Google still
 * has is stored as seen by this run. Returns how many were tombstoned.
 */
async function removeUnseen(
  db: Kysely<Database>,
  directory: DirectoryAdapter,
  progress: SyncProgress,
  at: string,
  options: SyncOptions,
): Promise<number> {
  const { runId } = progress;
  const limit = options.checkRemovalsUpTo ?? removalsChecked;
  const unseen = await unseenDeviceIds(db, runId, limit + 1);
  if (unseen.length > limit) {
    const removed = await tombstoneUnseen(db, runId, at);
    options.log?.warn("inventory full sync: many devices are no longer listed, tombstoned without checking each", {
      runId,
      removed,
      checkedUpTo: limit,
    });
    return removed;
  }
  if (!unseen.length) return 0;
  options.log?.info("inventory full sync: asking Google about devices the walk did not list", {
    runId,
    devices: unseen.length,
  });
  const found: DeviceRow[] = [];
  const gone: string[] = [];
  const checks = { done: 0, total: unseen.length };
  progress.removalChecks = checks;
  options.onProgress?.(progress);
  await walkAll(
    unseen,
    options.parallelOus ?? defaultParallelOus,
    async (deviceId) => {
      const device = await directory.getDevice(deviceId, syncDeviceFields).catch((error: unknown) => {
        if (error instanceof GoogleCallError && error.failure.status === 404) return undefined;
        throw error;
      });
      if (device?.deviceId) found.push(toDeviceRow(device, runId, at));
      else gone.push(deviceId);
      checks.done += 1;
      options.onProgress?.(progress);
    },
    undefined,
    options.signal,
  );
  const removed = await db.transaction().execute(async (trx) => {
    await writeDevices(trx, found, at);
    return tombstoneUnseen(trx, runId, at, gone);
  });
  progress.devicesSeen += found.length;
  if (found.length) {
    options.log?.info("inventory full sync: devices moved during the walk are still in Google, kept", {
      runId,
      devices: found.length,
    });
  }
  return removed;
}

/**
 * Builds the search indexes the run deferred, and clears them from its saved state in the same
 * transaction. The saved state, not `progress`: after a failure `progress` can be ahead of what
 * was committed, and saving it would skip pages that were never stored.
 */
async function buildDeferredIndexes(
  db: Kysely<Database>,
  progress: SyncProgress,
  now: () => Date,
  log?: Logger,
): Promise<void> {
  const indexes = progress.deferredIndexes;
  if (!indexes) return;
  const started = performance.now();
  await db.transaction().execute(async (trx) => {
    buildIndexes(trx, indexes);
    const saved = await readSyncState<SyncProgress>(trx, fullSyncState);
    if (saved?.runId === progress.runId) {
      delete saved.deferredIndexes;
      await writeSyncState(trx, fullSyncState, saved, now().toISOString());
    }
  });
  delete progress.deferredIndexes;
  log?.info("inventory full sync: built the search indexes after loading an empty inventory", {
    runId: progress.runId,
    indexes: indexes.map((index) => index.name),
    ms: Math.round(performance.now() - started),
  });
}

/**
 * Runs `walk` over `items` with `parallel` walkers (`onLastTaken` runs as the last item is taken).
 * The first failure stops the walk: the other walkers finish what they hold (a page in hand is
 * stored) and take no more, and the walk fails only once nothing of it is still running.
 */
async function walkAll<T>(
  items: T[],
  parallel: number,
  walk: (item: T, stopped: () => boolean) => Promise<void>,
  onLastTaken?: () => unknown,
  signal?: AbortSignal,
): Promise<void> {
  const queue = [...items];
  let failure: { error: unknown } | undefined;
  const stopped = () => failure !== undefined || signal?.aborted === true;
  const walkers = Array.from({ length: Math.min(parallel, queue.length) }, async () => {
    while (queue.length && !stopped()) {
      const item = queue.shift() as T;
      if (queue.length === 0) onLastTaken?.();
      await walk(item, stopped).catch((error: unknown) => {
        failure ??= { error };
      });
    }
  });
  await Promise.all(walkers);
  if (failure) throw failure.error;
  signal?.throwIfAborted();
}

/**
 * A window of up to this many pages is listed sooner one page after another than by walking every
 * OU (the OU tree, then a listing per OU: for 200 OUs about eight round trips and 200 calls).
 */
export const defaultIncrementalPages = 5;

/**
 * Devices Google has seen sync since the last run started (a day of overlap: `sync:` takes dates).
 * Without an earlier run there is nothing to be incremental about: a full sync runs instead.
 *
 * A quiet window is a few pages, listed one after another. On a school day nearly every device in
 * use syncs, so the window can hold most of the district: when more pages follow those, the window
 * is walked OU by OU in parallel with the same query, as the full sync walks (the devices already
 * listed are listed again, and written again unchanged).
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
  const query = `sync:${since}..`;
  const progress: SyncProgress = {
    kind: "incremental",
    runId: randomUUID(),
    startedAt,
    ousTotal: 1,
    ousDone: 0,
    devicesSeen: 0,
    pending: {},
  };
  // Lists `listing`'s pages, storing each, until it ends, `stopped` says so or `maxPages` are in;
  // answers the token of the page not yet listed, if any.
  const told = () => options.signal?.aborted === true;
  const listAndStore = async (listing: DevicePageQuery, stopped = told, maxPages = Number.POSITIVE_INFINITY) => {
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await directory.listDevicesPage({ ...listing, pageToken, fields: syncFields });
      const at = now().toISOString();
      await upsertDevices(
        db,
        page.devices.filter((d) => d.deviceId).map((d) => toDeviceRow(d, null, at)),
        at,
      );
      progress.devicesSeen += page.devices.length;
      options.onProgress?.(progress);
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken && pages < maxPages && !stopped());
    return pageToken;
  };
  const more = await listAndStore({ query }, undefined, options.incrementalPages ?? defaultIncrementalPages);
  options.signal?.throwIfAborted();
  if (more) {
    const ous = await ouPaths(directory);
    options.log?.info("inventory incremental sync: many devices synced, listing them OU by OU", {
      since,
      ous: ous.length,
    });
    progress.ousTotal = ous.length;
    progress.devicesSeen = 0;
    await walkAll(
      ous,
      options.parallelOus ?? defaultParallelOus,
      async (ou, stopped) => {
        await listAndStore({ query, orgUnitPath: ou, includeChildOrgunits: false }, stopped);
        progress.ousDone += 1;
      },
      undefined,
      options.signal,
    );
  } else progress.ousDone = 1;
  progress.finishedAt = now().toISOString();
  await writeSyncState(db, lastSyncState, { startedAt, kind: "incremental" }, progress.finishedAt);
  options.log?.info("inventory incremental sync finished", { since, devices: progress.devicesSeen });
  return progress;
}

export interface TelemetrySyncOptions {
  /** Lists telemetry OU by OU, `parallel` listings at once; without it, one listing of the customer. */
  directory?: DirectoryAdapter;
  parallel?: number;
  now?: () => Date;
  /** After each listing (an OU's, or the customer's) is stored. */
  onProgress?: (progress: TelemetryProgress) => void;
  /** A run told to stop: the listings stop between pages, and the sync throws the signal's reason. */
  signal?: AbortSignal;
}

export interface TelemetryProgress {
  listingsDone: number;
  listingsTotal: number;
  devicesUpdated: number;
}

/** Telemetry listings at once, within the client's 10 for the Chrome Management API. */
export const defaultParallelTelemetry = 8;

/**
 * Copies battery health and disk use from Chrome Management telemetry onto the inventory. Pages are
 * sequential within a listing, so the district is listed OU by OU (`filter=org_unit_id=…`), several
 * at once, as the full sync walks devices; pages that arrive during a write share the next
 * transaction. A device moved between OUs during the walk can be missed until the next night's run.
 * Returns how many inventory devices it updated.
 */
export async function syncTelemetry(
  db: Kysely<Database>,
  telemetry: TelemetryAdapter,
  options: TelemetrySyncOptions = {},
): Promise<number> {
  const now = options.now ?? (() => new Date());
  const ous = options.directory ? await telemetryOuIds(options.directory) : undefined;
  let updated = 0;
  const committer = new GroupCommit<TelemetryRow[]>(async (pages) => {
    updated += await updateTelemetry(db, pages.flat());
  });
  const listings = ous ? ous.map((id) => `org_unit_id=${id}`) : [undefined];
  let listingsDone = 0;
  await walkAll(
    listings,
    options.parallel ?? defaultParallelTelemetry,
    async (filter, stopped) => {
      let pageToken: string | undefined;
      do {
        const page = await telemetry.listPage(pageToken, filter);
        await committer.add(telemetryRows(page.devices, now().toISOString()));
        pageToken = page.nextPageToken;
      } while (pageToken && !stopped());
      if (pageToken) return; // stopped by another listing's failure, or told to stop
      listingsDone += 1;
      options.onProgress?.({ listingsDone, listingsTotal: listings.length, devicesUpdated: updated });
    },
    undefined,
    options.signal,
  );
  return updated;
}

/**
 * The OU ids telemetry can be filtered by: every OU's, and the root's (the parent of the top-level
 * OUs; Google does not list the root itself). Undefined when the customer has no OUs below the root.
 */
async function telemetryOuIds(directory: DirectoryAdapter): Promise<string[] | undefined> {
  const units = await directory.listOrgUnits();
  const bare = (id: string) => id.replace(/^id:/, "");
  const root = units.find((ou) => ou.parentOrgUnitPath === "/")?.parentOrgUnitId;
  if (!root) return undefined;
  const ids = units.flatMap((ou) => (ou.orgUnitId ? [bare(ou.orgUnitId)] : []));
  return [...new Set([bare(root), ...ids])];
}

function telemetryRows(devices: TelemetryDevice[], at: string): TelemetryRow[] {
  return devices.flatMap((device) => {
    if (!device.deviceId) return [];
    const battery = device.batteryStatusReport?.at(-1);
    return [
      {
        deviceId: device.deviceId,
        batteryHealth: battery?.batteryHealth ?? null,
        batteryCycleCount: battery?.cycleCount ?? null,
        diskTotalBytes: device.storageInfo?.totalDiskBytes ?? null,
        diskFreeBytes: device.storageInfo?.availableDiskBytes ?? null,
        telemetryAt: at,
      },
    ];
  });
}
