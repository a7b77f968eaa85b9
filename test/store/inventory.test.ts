/** Inventory sync against the sandbox, on SQLite and on PostgreSQL. */

import { Migrator, sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGoogleClient } from "../../agent/google/client";
import { type DevicePageQuery, type DirectoryAdapter, directoryAdapter } from "../../agent/google/directory";
import { telemetryAdapter } from "../../agent/google/telemetry";
import { createLogger } from "../../agent/log";
import { devicesInOu, moveDevice, orgUnitByPath, type SandboxDistrict } from "../../agent/sandbox/district";
import type { FaultRule } from "../../agent/sandbox/faults";
import { seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";
import {
  fullSync,
  incrementalSync,
  type SyncProgress,
  syncTelemetry,
  type TelemetryProgress,
} from "../../agent/services/inventory-sync";
import { endAssignment } from "../../agent/store/assignments";
import { migrate, type Store } from "../../agent/store/db";
import { type DeviceRow, readSyncState, upsertDevices, writeDevices, writeSyncState } from "../../agent/store/devices";
import { migrationProvider } from "../../agent/store/migrations";
import { freshStoreEach, storageBackends } from "../support/databases";

const fast = { maxTries: 10, baseMs: 1, capMs: 5, jitterMs: 1 };

/** As an admin reorganizing in Google: a new OU `to` takes every device of `from`, which may go. */
function moveOu(district: SandboxDistrict, from: string, to: string, removeOld: boolean): number {
  const old = orgUnitByPath(district, from);
  if (!old) throw new Error(`no OU ${from}`);
  const created = {
    ...old,
    orgUnitPath: to,
    name: to.split("/").at(-1),
    orgUnitId: `id:moved${district.orgUnits.length}`,
  };
  district.orgUnits.push(created);
  const moving = [...devicesInOu(district, from)];
  for (const device of moving) moveDevice(district, device, created);
  if (removeOld) district.orgUnits.splice(district.orgUnits.indexOf(old), 1);
  return moving.length;
}

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ district: seedDistrict({ seed: 3, devices: 700 }) });
});
afterAll(() => sandbox.close());

describe.each(storageBackends())("inventory sync on $name", (backend) => {
  let store: Store;
  beforeEach(() => {
    sandbox.context.faults.clear();
    sandbox.context.faults.behaviour.latencyMs = 0;
  });
  freshStoreEach(backend, (opened) => {
    store = opened;
  });

  const directory = (maxTries = 10) =>
    directoryAdapter(createGoogleClient({ rootUrl: sandbox.url, retry: { ...fast, maxTries } }));
  const count = async (table: "devices" | "deviceAssignments") =>
    Number(
      (
        await store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("copies every device with its OU, model, AUE and assigned student, and reports progress", async () => {
    const seen: number[] = [];
    const lines: string[] = [];
    const log = createLogger("info", (line) => lines.push(line));
    const result = await fullSync(store.db, directory(), { onProgress: (p) => seen.push(p.ousDone), log });
    const logged = lines
      .map((l) => JSON.parse(l) as { message: string; ousDone?: number })
      .filter((l) => l.message === "inventory full sync progress");
    expect(logged.length).toBeGreaterThanOrEqual(2);
    expect(logged.at(-1)?.ousDone).toBe(result.ousTotal);
    expect(result).toMatchObject({ kind: "full", devicesSeen: 700, ousDone: result.ousTotal, removed: 0 });
    expect(await count("devices")).toBe(700);
    const sample = [...sandbox.context.district.devices.values()].find((d) => d.annotatedUser) ?? {};
    const row = await store.db
      .selectFrom("devices")
      .selectAll()
      .where("deviceId", "=", sample.deviceId as string)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      serialNumber: sample.serialNumber,
      orgUnitPath: sample.orgUnitPath,
      model: sample.model,
      aueDate: sample.autoUpdateThrough,
      annotatedUser: sample.annotatedUser,
      macAddress: sample.macAddress,
    });
    expect(JSON.parse(row.recentUsers)).toEqual((sample.recentUsers ?? []).map((u) => u.email));
    expect(JSON.parse(row.recentUsers)).not.toEqual([]);
    expect(JSON.parse(row.lastKnownNetwork)).toEqual(sample.lastKnownNetwork);
    // Each assigned device's assignment is open on the device, from this sync; none has ended yet.
    const assigned = [...sandbox.context.district.devices.values()].filter((d) => d.annotatedUser).length;
    const open = await store.db
      .selectFrom("devices")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("assignedSince", ">=", result.startedAt)
      .where("assignedSince", "<=", result.finishedAt as string)
      .where("annotatedUser", "is not", null)
      .executeTakeFirstOrThrow();
    expect(Number(open.n)).toBe(assigned);
    expect(await count("devices")).toBe(700);
    expect(await count("deviceAssignments")).toBe(0);
    expect(seen.at(-1)).toBe(result.ousTotal);
  });

  it("is idempotent: a second full sync changes nothing", async () => {
    await fullSync(store.db, directory());
    const since = async () =>
      (await store.db.selectFrom("devices").select(["deviceId", "assignedSince"]).orderBy("deviceId").execute()).map(
        (d) => `${d.deviceId} ${d.assignedSince}`,
      );
    const before = await since();
    const again = await fullSync(store.db, directory());
    expect(again.devicesSeen).toBe(700);
    expect(await count("devices")).toBe(700);
    expect(await count("deviceAssignments")).toBe(0);
    expect(await since()).toEqual(before);
  });

  it("marks a settled device seen by each sync, and takes what changed in Google", async () => {
    const first = await fullSync(store.db, directory());
    const rows = async () =>
      new Map((await store.db.selectFrom("devices").selectAll().execute()).map((d) => [d.deviceId, d] as const));
    const before = await rows();
    const district = sandbox.context.district;
    const [movedId, notedId] = [...district.devices.keys()];
    const moved = district.devices.get(movedId as string) ?? {};
    const noted = district.devices.get(notedId as string) ?? {};
    const saved = { location: moved.annotatedLocation, notes: noted.notes };
    moved.annotatedLocation = "Room 999";
    noted.notes = "Cracked hinge, sent for repair";
    try {
      const second = await fullSync(store.db, directory());
      expect(second.removed).toBe(0);
      const after = await rows();
      for (const [id, row] of after) {
        const was = before.get(id);
        expect(row.seenInRun).toBe(second.runId);
        expect(row.syncedAt >= second.startedAt).toBe(true);
        const { seenInRun: _a, syncedAt: _b, annotatedLocation, notes, ...rest } = row;
        const { seenInRun: _c, syncedAt: _d, annotatedLocation: wasLocation, notes: wasNotes, ...wasRest } = was ?? {};
        expect(rest).toEqual(wasRest);
        expect(annotatedLocation).toBe(id === movedId ? "Room 999" : wasLocation);
        expect(notes).toBe(id === notedId ? "Cracked hinge, sent for repair" : wasNotes);
      }
      expect(before.get(movedId as string)?.seenInRun).toBe(first.runId);
    } finally {
      moved.annotatedLocation = saved.location;
      noted.notes = saved.notes;
    }
  });

  it("resumes an interrupted full sync where it stopped", async () => {
    // Let a few listings finish first: fail the sixth device listing, with no retries.
    let listings = 0;
    const failing = directory(1);
    const flaky = {
      ...failing,
      listDevicesPage: async (query: Parameters<typeof failing.listDevicesPage>[0]) => {
        listings += 1;
        if (listings === 6) sandbox.context.faults.inject({ fault: { kind: "status", status: 500 }, times: 1 });
        return failing.listDevicesPage(query);
      },
    };
    await expect(fullSync(store.db, flaky, { parallelOus: 1 })).rejects.toThrow();
    const partial = await count("devices");
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(700);
    const before = sandbox.context.faults.calls;
    const resumed = await fullSync(store.db, directory(), { parallelOus: 1 });
    expect(await count("devices")).toBe(700);
    expect(resumed.removed).toBe(0);
    // Only what was left was listed again: fewer calls than the whole walk.
    expect(sandbox.context.faults.calls - before).toBeLessThan(listings + resumed.ousTotal);
  });

  it("stops when the store refuses a page, keeping what was stored, and resumes from there", async () => {
    // The store refuses devices past the 120th: commits fail while other listings are in flight.
    const refuse =
      backend.name === "sqlite"
        ? [
            sql`create trigger refuse_devices before insert on devices when (select count(*) from devices) >= 120
                begin select raise(abort, 'the disk is full'); end`,
          ]
        : [
            sql`create function refuse_devices() returns trigger language plpgsql as $$
                begin if (select count(*) from devices) >= 120 then raise exception 'the disk is full'; end if;
                return new; end $$`,
            sql`create trigger refuse_devices before insert on devices for each row execute function refuse_devices()`,
          ];
    for (const statement of refuse) await statement.execute(store.db);
    // Small, slow pages, so each OU takes several and a walker's next listing is in flight as a
    // commit fails.
    sandbox.context.faults.behaviour.latencyMs = 20;
    const listing = directory();
    const paged = {
      ...listing,
      listDevicesPage: (query: DevicePageQuery) => listing.listDevicesPage({ ...query, maxResults: 40 }),
    };
    const callsBefore = sandbox.context.faults.calls;
    await expect(fullSync(store.db, paged, { parallelOus: 2 })).rejects.toThrow(/the disk is full/);
    // A failed sync has stopped: no walker goes on listing or writing after it.
    const callsAtFailure = sandbox.context.faults.calls;
    const failedCalls = callsAtFailure - callsBefore;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sandbox.context.faults.calls).toBe(callsAtFailure);
    const stored = await count("devices");
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThanOrEqual(120);
    await sql`drop trigger refuse_devices${sql.raw(backend.name === "sqlite" ? "" : " on devices")}`.execute(store.db);
    const resumed = await fullSync(store.db, paged, { parallelOus: 2 });
    expect(resumed).toMatchObject({ devicesSeen: 700, removed: 0 });
    expect(await count("devices")).toBe(700);
    // The failure stopped the walk at once: it listed less than the rest of the district took.
    expect(failedCalls).toBeLessThan(sandbox.context.faults.calls - callsAtFailure);
  });

  it("saves no resume point past a page whose write failed while other walkers went on storing", async () => {
    const listing = directory();
    const ous = ["/", ...(await listing.listOrgUnits()).map((ou) => ou.orgUnitPath as string).filter((p) => p !== "/")];
    const first = ous.find((ou) => devicesInOu(sandbox.context.district, ou).length > 40) as string;
    // The first page committed is `first`'s (the other OUs' pages arrive after it), and saving its
    // resume point fails, as a lost connection would fail it; the pages after it are stored.
    let stateWrites = 0;
    let failed = () => {};
    const afterFailure = new Promise<void>((resolve) => {
      failed = resolve;
    });
    const failing = store.db.withPlugin({
      transformQuery: ({ node }) => {
        const table = node.kind === "InsertQueryNode" ? node.into?.table.identifier.name : undefined;
        if (table === "sync_state" && ++stateWrites === 2) {
          failed();
          throw new Error("the connection was lost");
        }
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    // The other OUs' listings answer only once that write has failed; all OUs are walked at once,
    // so `first` is among them whatever its place.
    const staggered = {
      ...listing,
      listDevicesPage: async (query: DevicePageQuery) => {
        if (query.orgUnitPath !== first) await afterFailure;
        return listing.listDevicesPage({ ...query, maxResults: 40 });
      },
    };
    await expect(fullSync(failing, staggered, { parallelOus: ous.length })).rejects.toThrow(/the connection was lost/);
    const saved = await readSyncState<SyncProgress>(store.db, "inventory.full");
    expect(saved?.pending[first]).toBe(""); // its first page was not stored: the OU starts over
    expect(await count("devices")).toBeGreaterThan(0); // other walkers' pages were stored after it

    // Resumed, every device is listed again: none is missing, so none is taken for removed.
    const resumed = await fullSync(store.db, listing, { checkRemovalsUpTo: 0 });
    expect(resumed).toMatchObject({ removed: 0, devicesSeen: 700 });
    expect(await count("devices")).toBe(700);
  });

  describe("the first load into an empty inventory", () => {
    /** The devices table's secondary indexes, by name, as the database defines them. */
    const indexes = async (): Promise<Record<string, string>> => {
      const rows =
        backend.name === "sqlite"
          ? await sql<{ name: string; definition: string }>`select name, sql as definition from sqlite_master
              where type = 'index' and tbl_name = 'devices' and sql is not null`.execute(store.db)
          : await sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition
              from pg_indexes where tablename = 'devices' and indexname not like '%_pkey'`.execute(store.db);
      return Object.fromEntries(rows.rows.map((row) => [row.name, row.definition]));
    };
    /** `directory` that reads the indexes as its `at`th listing is asked for, mid-walk. */
    const watching = (directory: DirectoryAdapter, at: number, seen: Record<string, string>[]) => {
      let listings = 0;
      return {
        ...directory,
        listDevicesPage: async (query: DevicePageQuery) => {
          listings += 1;
          if (listings === at) seen.push(await indexes());
          return directory.listDevicesPage(query);
        },
      };
    };

    it("builds the search indexes once at its end, and a later sync keeps them up", async () => {
      const defined = await indexes();
      expect(Object.keys(defined).length).toBeGreaterThanOrEqual(2);
      const seen: Record<string, string>[] = [];
      const lines: string[] = [];
      const log = createLogger("info", (line) => lines.push(line));
      const first = await fullSync(store.db, watching(directory(), 5, seen), { parallelOus: 2, log });
      expect(first).toMatchObject({ devicesSeen: 700, removed: 0 });
      expect(first.deferredIndexes).toBeUndefined();
      expect(await indexes()).toEqual(defined);
      expect((await readSyncState<SyncProgress>(store.db, "inventory.full"))?.deferredIndexes).toBeUndefined();
      const built = lines.filter((line) => line.includes("built the search indexes"));
      // On SQLite the load runs without them; PostgreSQL keeps its indexes up as it goes.
      if (backend.name === "sqlite") {
        expect(seen[0]).toEqual({});
        expect(built).toHaveLength(1);
      } else {
        expect(seen[0]).toEqual(defined);
        expect(built).toHaveLength(0);
      }
      // The indexes serve search: a serial looked up case-blind.
      const sample = [...sandbox.context.district.devices.values()][0];
      const found = await store.db
        .selectFrom("devices")
        .select("deviceId")
        .where(sql`upper(serial_number)`, "=", (sample?.serialNumber ?? "").toUpperCase())
        .execute();
      expect(found.map((d) => d.deviceId)).toEqual([sample?.deviceId]);

      // The inventory holds devices now: the next full sync leaves the indexes in place.
      const later: Record<string, string>[] = [];
      await fullSync(store.db, watching(directory(), 5, later), { parallelOus: 2 });
      expect(later[0]).toEqual(defined);
      expect(await indexes()).toEqual(defined);
    });

    it("builds them when the load fails, and when a run stopped mid-load resumes", async () => {
      const defined = await indexes();
      let listings = 0;
      const failing = directory(1);
      const flaky = {
        ...failing,
        listDevicesPage: async (query: DevicePageQuery) => {
          listings += 1;
          if (listings === 6) throw new Error("connection reset");
          return failing.listDevicesPage(query);
        },
      };
      await expect(fullSync(store.db, flaky, { parallelOus: 1 })).rejects.toThrow("connection reset");
      // The failed run left a searchable inventory and a saved place to resume from.
      expect(await indexes()).toEqual(defined);
      const saved = await readSyncState<SyncProgress>(store.db, "inventory.full");
      if (!saved) throw new Error("the failed run saved no state");
      expect(saved.deferredIndexes).toBeUndefined();
      expect(Object.keys(saved.pending).length).toBeGreaterThan(0);
      const stored = await count("devices");
      expect(stored).toBeGreaterThan(0);
      expect(stored).toBeLessThan(700);
      if (backend.name !== "sqlite") return;

      // A process killed mid-load leaves the indexes dropped and their definitions in the saved run.
      for (const name of Object.keys(defined)) await sql`drop index ${sql.id(name)}`.execute(store.db);
      const deferred = Object.entries(defined).map(([name, definition]) => ({ name, sql: definition }));
      await writeSyncState(store.db, "inventory.full", { ...saved, deferredIndexes: deferred }, saved.startedAt);
      const resumed = await fullSync(store.db, directory(), { parallelOus: 1 });
      expect(resumed).toMatchObject({ runId: saved.runId, devicesSeen: 700, removed: 0 });
      expect(await count("devices")).toBe(700);
      expect(await indexes()).toEqual(defined);
      expect((await readSyncState<SyncProgress>(store.db, "inventory.full"))?.deferredIndexes).toBeUndefined();
    });
  });

  describe("when Google's OU tree changes under a run", () => {
    // Each test reorganizes its own district.
    let own: RunningSandbox;
    beforeEach(async () => {
      own = await startSandbox({ district: seedDistrict({ seed: 3, devices: 700 }) });
    });
    afterEach(() => own.close());
    const ownDirectory = () =>
      directoryAdapter(createGoogleClient({ rootUrl: own.url, retry: { ...fast, maxTries: 1 } }));
    /** The connection drops at the `failing`th device listing; pages of `maxResults` when given. */
    const interruptedAt = (directory: DirectoryAdapter, failing: number, maxResults?: number) => {
      let listings = 0;
      return {
        ...directory,
        listDevicesPage: async (query: DevicePageQuery) => {
          listings += 1;
          if (listings === failing) throw new Error("connection reset");
          return directory.listDevicesPage(maxResults ? { ...query, maxResults } : query);
        },
      };
    };
    const devicesIn = async (ou: string) =>
      store.db.selectFrom("devices").select(["deviceId", "removedAt"]).where("orgUnitPath", "=", ou).execute();
    /**
     * `directory`, with `reorganize` run on the district (as an admin would, in Google) as its third
     * listing starts; `later` is an OU with devices that no listing has reached yet.
     */
    const reorganizingAtThirdListing = (
      directory: DirectoryAdapter,
      reorganize: (district: SandboxDistrict, later: string, listed: string[]) => void,
    ): DirectoryAdapter => {
      const listed: string[] = [];
      return {
        ...directory,
        listDevicesPage: async (query: DevicePageQuery) => {
          listed.push(query.orgUnitPath ?? "");
          if (listed.length === 3) {
            const district = own.context.district;
            const later = district.orgUnits
              .map((ou) => ou.orgUnitPath ?? "")
              .find((ou) => !listed.includes(ou) && devicesInOu(district, ou).length);
            if (!later) throw new Error("no OU with devices left to walk");
            reorganize(district, later, listed);
          }
          return directory.listDevicesPage(query);
        },
      };
    };

    it("resumes after an OU still to walk was deleted and its devices moved to a new one", async () => {
      const directory = ownDirectory();
      const interrupted = interruptedAt(directory, 4);
      await expect(fullSync(store.db, interrupted, { parallelOus: 1 })).rejects.toThrow("connection reset");
      const saved = await readSyncState<SyncProgress>(store.db, "inventory.full");
      const pendingOu = Object.keys(saved?.pending ?? {}).find((ou) => devicesInOu(own.context.district, ou).length);
      if (!pendingOu) throw new Error("the interrupted run left no OU with devices to walk");
      const moved = moveOu(own.context.district, pendingOu, `${pendingOu} Annex`, true);

      const resumed = await fullSync(store.db, directory, { parallelOus: 1 });
      expect(resumed).toMatchObject({ removed: 0, ousDone: resumed.ousTotal });
      expect(resumed.pending).toEqual({});
      expect(await count("devices")).toBe(700);
      const annex = await devicesIn(`${pendingOu} Annex`);
      expect(annex).toHaveLength(moved);
      expect(annex.every((d) => d.removedAt === null)).toBe(true);
    });

    it("walks an OU created during the walk, so the devices moved into it are not missed", async () => {
      let moved = 0;
      let annexed = "";
      // An OU not walked yet loses its devices to a new OU, which the run did not start with.
      const reorganizing = reorganizingAtThirdListing(ownDirectory(), (district, later) => {
        annexed = `${later} Annex`;
        moved = moveOu(district, later, annexed, false);
      });
      const result = await fullSync(store.db, reorganizing, { parallelOus: 1 });
      expect(moved).toBeGreaterThan(0);
      expect(result).toMatchObject({ devicesSeen: 700, removed: 0, ousDone: result.ousTotal });
      expect(await devicesIn(annexed)).toHaveLength(moved);
      expect(await count("devices")).toBe(700);
    });

    it("keeps a device moved during the walk into an OU already walked, asking Google about it", async () => {
      const directory = ownDirectory();
      const asked: string[] = [];
      let movedId = "";
      let movedTo = "";
      // A device leaves an OU not walked yet for one already walked: no listing shows it.
      const reorganizing = {
        ...reorganizingAtThirdListing(directory, (district, later, listed) => {
          const walked = orgUnitByPath(district, listed[1] as string);
          const device = devicesInOu(district, later)[0];
          if (!walked || !device?.deviceId) throw new Error("no device left to move");
          moveDevice(district, device, walked);
          movedId = device.deviceId;
          movedTo = walked.orgUnitPath ?? "";
        }),
        getDevice: (deviceId: string, fields?: string) => {
          asked.push(deviceId);
          return directory.getDevice(deviceId, fields);
        },
      };
      await fullSync(store.db, directory);
      // The nightly run: a device moves behind the walk, and is asked about, not tombstoned.
      const lines: string[] = [];
      const log = createLogger("info", (line) => lines.push(line));
      const checks: SyncProgress["removalChecks"][] = [];
      const onProgress = (p: SyncProgress) => void (p.removalChecks && checks.push({ ...p.removalChecks }));
      const nightly = await fullSync(store.db, reorganizing, { parallelOus: 1, log, onProgress });
      expect(checks).toEqual([
        { done: 0, total: 1 },
        { done: 1, total: 1 },
        { done: 1, total: 1 },
      ]);
      expect(nightly).toMatchObject({ devicesSeen: 700, removed: 0 });
      expect(asked).toEqual([movedId]);
      const row = await store.db
        .selectFrom("devices")
        .select(["orgUnitPath", "removedAt", "seenInRun"])
        .where("deviceId", "=", movedId)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ orgUnitPath: movedTo, removedAt: null, seenInRun: nightly.runId });
      expect(lines.some((line) => line.includes("devices moved during the walk are still in Google"))).toBe(true);
    });

    it("tombstones without asking when more devices are missing than it checks", async () => {
      const directory = ownDirectory();
      await fullSync(store.db, directory);
      const district = own.context.district;
      const gone = [...district.devices.keys()].slice(0, 3);
      for (const id of gone) district.devices.delete(id);
      let asked = 0;
      const counting = {
        ...directory,
        getDevice: (deviceId: string, fields?: string) => {
          asked += 1;
          return directory.getDevice(deviceId, fields);
        },
      };
      const lines: string[] = [];
      const log = createLogger("info", (line) => lines.push(line));
      const many = await fullSync(store.db, counting, { checkRemovalsUpTo: 2, log });
      expect(many.removed).toBe(3);
      expect(asked).toBe(0);
      expect(lines.some((line) => line.includes("tombstoned without checking each"))).toBe(true);
      const tombstones = await store.db
        .selectFrom("devices")
        .select("deviceId")
        .where("removedAt", "is not", null)
        .orderBy("deviceId")
        .execute();
      expect(tombstones.map((row) => row.deviceId)).toEqual([...gone].sort());
    });

    it("lists an OU again from its start when Google refuses a resumed run's page token", async () => {
      const directory = ownDirectory();
      // Small pages, so the run stops in the middle of an OU with a page token saved.
      const interrupted = interruptedAt(directory, 6, 40);
      await expect(fullSync(store.db, interrupted, { parallelOus: 1 })).rejects.toThrow("connection reset");
      const saved = await readSyncState<SyncProgress>(store.db, "inventory.full");
      if (!saved) throw new Error("the interrupted run saved no state");
      const stale = Object.keys(saved.pending).filter((ou) => saved.pending[ou]);
      expect(stale.length).toBeGreaterThan(0);
      for (const ou of stale) saved.pending[ou] = "a-token-google-no-longer-takes";
      await writeSyncState(store.db, "inventory.full", saved, new Date().toISOString());

      const lines: string[] = [];
      const log = createLogger("info", (line) => lines.push(line));
      const resumed = await fullSync(store.db, directory, { parallelOus: 1, log });
      expect(resumed).toMatchObject({ removed: 0, ousDone: resumed.ousTotal, runId: saved.runId });
      expect(await count("devices")).toBe(700);
      const refused = lines.filter((line) => line.includes("a saved page token was refused"));
      expect(refused).toHaveLength(stale.length);
    });
  });

  it("keeps devices Google no longer has as tombstones, once Google answers 404 for each", async () => {
    await fullSync(store.db, directory());
    const district = sandbox.context.district;
    const [gone] = [...district.devices.keys()];
    const device = district.devices.get(gone as string);
    district.devices.delete(gone as string);
    try {
      const asked: string[] = [];
      const counting = {
        ...directory(),
        getDevice: (deviceId: string, fields?: string) => {
          asked.push(deviceId);
          return directory().getDevice(deviceId, fields);
        },
      };
      const result = await fullSync(store.db, counting);
      expect(result.removed).toBe(1);
      expect(asked).toEqual([gone]);
      const row = await store.db
        .selectFrom("devices")
        .selectAll()
        .where("deviceId", "=", gone as string)
        .executeTakeFirstOrThrow();
      expect(row.removedAt).not.toBeNull();
    } finally {
      district.devices.set(gone as string, device ?? {});
    }
    await fullSync(store.db, directory());
    expect(
      (
        await store.db
          .selectFrom("devices")
          .select("removedAt")
          .where("deviceId", "=", gone as string)
          .executeTakeFirstOrThrow()
      ).removedAt,
    ).toBeNull();
  });

  it("walks a busy incremental window OU by OU, taking every device that synced", async () => {
    const full = await fullSync(store.db, directory());
    const district = sandbox.context.district;
    const changed = [...district.devices.values()].slice(0, 400);
    const before = changed.map((d) => ({ device: d, user: d.annotatedUser, lastSync: d.lastSync }));
    const syncedNow = new Date().toISOString();
    changed.forEach((d, i) => {
      d.annotatedUser = `busy.day${i}@students.demo-district.example.org`;
      d.lastSync = syncedNow;
    });
    try {
      // Two pages are listed one after the other (up to five are, by default): no OU walk.
      let callsBefore = sandbox.context.faults.calls;
      const paged = await incrementalSync(store.db, directory());
      expect(sandbox.context.faults.calls - callsBefore).toBe(2);
      expect(paged).toMatchObject({ ousDone: 1, ousTotal: 1 });
      callsBefore = sandbox.context.faults.calls;
      // Walked OU by OU once a first page (300 of the 400) is not all, when one page is the limit.
      const result = await incrementalSync(store.db, directory(), { incrementalPages: 1 });
      // The first page, the OU tree, then one listing per OU (the full sync's OUs, root included).
      const ous = full.ousTotal;
      expect(sandbox.context.faults.calls - callsBefore).toBe(2 + ous);
      // Every device that synced since the day before the last run: the 400, and any the seed had sync lately.
      const since = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const synced = [...district.devices.values()].filter((d) => (d.lastSync ?? "").slice(0, 10) >= since).length;
      expect(synced).toBeGreaterThanOrEqual(400);
      expect(result).toMatchObject({ kind: "incremental", ousDone: ous, ousTotal: ous, devicesSeen: synced });
      const users = await store.db
        .selectFrom("devices")
        .select("annotatedUser")
        .where("annotatedUser", "like", "busy.day%")
        .execute();
      expect(users).toHaveLength(400);
    } finally {
      for (const { device, user, lastSync } of before) {
        device.annotatedUser = user;
        device.lastSync = lastSync;
      }
    }
  });

  it("picks up changed devices incrementally and keeps the assignment history", async () => {
    await fullSync(store.db, directory());
    const device = [...sandbox.context.district.devices.values()].find((d) => d.annotatedUser) ?? {};
    const previousUser = device.annotatedUser;
    device.annotatedUser = "new.student@students.demo-district.example.org";
    device.lastSync = new Date().toISOString();
    const callsBefore = sandbox.context.faults.calls;
    const result = await incrementalSync(store.db, directory());
    expect(result.kind).toBe("incremental");
    expect(result.devicesSeen).toBeLessThan(700);
    expect(result.devicesSeen).toBeGreaterThan(0);
    // A quiet window (less than a page) is one listing.
    expect(sandbox.context.faults.calls - callsBefore).toBe(1);
    const history = await store.db
      .selectFrom("deviceAssignments")
      .selectAll()
      .where("deviceId", "=", device.deviceId as string)
      .orderBy("id")
      .execute();
    // The first user's assignment has ended (recorded); the new student's is open on the device.
    expect(history.map((h) => [h.userEmail, h.startedAt <= (h.endedAt ?? "")])).toEqual([[previousUser, true]]);
    const now = await store.db
      .selectFrom("devices")
      .select(["annotatedUser", "assignedSince"])
      .where("deviceId", "=", device.deviceId as string)
      .executeTakeFirstOrThrow();
    expect(now.annotatedUser).toBe("new.student@students.demo-district.example.org");
    expect(now.assignedSince).toBe(history[0]?.endedAt);
    device.annotatedUser = previousUser;
  });

  it("adds battery health and disk use from telemetry", async () => {
    await fullSync(store.db, directory());
    const google = createGoogleClient({ rootUrl: sandbox.url, retry: fast });
    // A device Google reports telemetry for but the inventory does not hold is left out.
    const telemetry = sandbox.context.district.telemetry;
    const [known] = telemetry.values();
    telemetry.set("not-in-inventory", {
      ...known,
      deviceId: "not-in-inventory",
      name: "customers/x/telemetry/devices/n",
    });
    try {
      expect(await syncTelemetry(store.db, telemetryAdapter(google))).toBe(700);
    } finally {
      telemetry.delete("not-in-inventory");
    }
    expect(await count("devices")).toBe(700);
    const withTelemetry = await store.db
      .selectFrom("devices")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("telemetryAt", "is not", null)
      .executeTakeFirstOrThrow();
    expect(Number(withTelemetry.n)).toBe(700);
    const failing = [...sandbox.context.district.telemetry.values()].find(
      (t) => t.batteryStatusReport?.[0]?.batteryHealth === "BATTERY_REPLACE_NOW",
    );
    const row = await store.db
      .selectFrom("devices")
      .selectAll()
      .where("deviceId", "=", failing?.deviceId as string)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      batteryHealth: "BATTERY_REPLACE_NOW",
      diskTotalBytes: failing?.storageInfo?.totalDiskBytes,
      diskFreeBytes: failing?.storageInfo?.availableDiskBytes,
    });
    expect(row.batteryCycleCount).toBe(failing?.batteryStatusReport?.[0]?.cycleCount);
  });

  it("completes the nightly sync through every fault Google answers with", async () => {
    const google = createGoogleClient({ rootUrl: sandbox.url, retry: fast });
    const faults = sandbox.context.faults;
    const kinds: FaultRule["fault"][] = [
      { kind: "status", status: 429 },
      { kind: "rateLimit", reason: "rateLimitExceeded" },
      { kind: "rateLimit", reason: "userRateLimitExceeded" },
      { kind: "status", status: 500 },
      { kind: "status", status: 503 },
      { kind: "drop" },
    ];
    for (const fault of kinds) {
      faults.inject({ match: /\/orgunits$/, fault, times: 1 });
      faults.inject({ match: /\/devices\/chromeos$/, fault, times: 2 });
      faults.inject({ match: /\/telemetry\/devices$/, fault, times: 2 });
    }
    const injected = faults.pending;
    const result = await fullSync(store.db, directoryAdapter(google));
    const telemetry = await syncTelemetry(store.db, telemetryAdapter(google), { directory: directoryAdapter(google) });
    expect(faults.pending).toBe(0);
    expect(injected).toBe(kinds.length * 5);
    expect(result).toMatchObject({ devicesSeen: 700, removed: 0, ousDone: result.ousTotal });
    expect(telemetry).toBe(700);
    const complete = await store.db
      .selectFrom("devices")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("telemetryAt", "is not", null)
      .where("removedAt", "is", null)
      .executeTakeFirstOrThrow();
    expect(Number(complete.n)).toBe(700);
  });

  it("lists telemetry OU by OU, the root's devices and devices moved in Google included", async () => {
    const own = await startSandbox({ district: seedDistrict({ seed: 5, devices: 300 }) });
    try {
      const google = createGoogleClient({ rootUrl: own.url, retry: fast });
      const ownDirectory = directoryAdapter(google);
      await fullSync(store.db, ownDirectory);
      // Through Google's API, after the inventory's sync: one device to the root OU, one to Loaners.
      const students = [...own.context.district.devices.values()].filter((d) => d.orgUnitPath?.endsWith("/Students"));
      const [toRoot, toLoaners] = students.map((d) => d.deviceId as string);
      const loaners = own.context.district.orgUnits.find((ou) => ou.orgUnitPath?.endsWith("/Loaners"));
      if (!toRoot || !toLoaners || !loaners?.orgUnitPath) throw new Error("the district has no students to move");
      await ownDirectory.moveDevicesToOu([toRoot], "/");
      await ownDirectory.moveDevicesToOu([toLoaners], loaners.orgUnitPath);

      const adapter = telemetryAdapter(google);
      const filters: (string | undefined)[] = [];
      const watched = {
        ...adapter,
        listPage: (pageToken?: string, filter?: string) => {
          filters.push(filter);
          return adapter.listPage(pageToken, filter);
        },
      };
      const progress: TelemetryProgress[] = [];
      const onProgress = (p: TelemetryProgress) => progress.push(p);
      expect(await syncTelemetry(store.db, watched, { directory: ownDirectory, parallel: 3, onProgress })).toBe(300);
      // One listing an OU, the root's by its id (Google lists the root only as the top OUs' parent).
      const ouIds = own.context.district.orgUnits.map((ou) => `org_unit_id=${ou.orgUnitId?.replace(/^id:/, "")}`);
      expect(filters.length).toBe(ouIds.length);
      expect(new Set(filters)).toEqual(new Set(ouIds));
      // Progress after each listing, to every listing and device.
      expect(progress.map((p) => p.listingsDone)).toEqual(ouIds.map((_, i) => i + 1));
      expect(progress.at(-1)).toEqual({ listingsDone: ouIds.length, listingsTotal: ouIds.length, devicesUpdated: 300 });
      const counts = progress.map((p) => p.devicesUpdated);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      const updated = await store.db
        .selectFrom("devices")
        .select("deviceId")
        .where("telemetryAt", "is not", null)
        .execute();
      expect(updated).toHaveLength(300);
      expect(updated.map((d) => d.deviceId)).toEqual(expect.arrayContaining([toRoot, toLoaners]));
    } finally {
      await own.close();
    }
  });

  it("moves each open assignment onto its device when the database is upgraded, and back down", async () => {
    const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect) });
    const down = await migrator.migrateTo("0008-device-indexes");
    expect(down.error).toBeUndefined();
    const device = (deviceId: string, annotatedUser: string | null) => ({ deviceId, annotatedUser, syncedAt: "t0" });
    await store.db
      .insertInto("devices")
      .values([device("a", "ann@example.org"), device("b", null), device("c", "cy@example.org")])
      .execute();
    const assignment = (deviceId: string, userEmail: string, startedAt: string, endedAt: string | null) => ({
      deviceId,
      userEmail,
      startedAt,
      endedAt,
    });
    await store.db
      .insertInto("deviceAssignments")
      .values([
        assignment("a", "old@example.org", "t0", "t1"),
        assignment("a", "ann@example.org", "t1", null),
        // An open assignment that no longer matches its device (it should not happen) is ended.
        assignment("b", "bea@example.org", "t1", null),
      ])
      .execute();
    await migrate(store.db, store.dialect);
    const devices = await store.db
      .selectFrom("devices")
      .select(["deviceId", "assignedSince"])
      .orderBy("deviceId")
      .execute();
    expect(devices.map((d) => [d.deviceId, d.assignedSince])).toEqual([
      ["a", "t1"],
      ["b", null],
      ["c", null],
    ]);
    const history = await store.db.selectFrom("deviceAssignments").selectAll().orderBy("id").execute();
    expect(history.map((h) => [h.deviceId, h.userEmail, h.startedAt, h.endedAt === null])).toEqual([
      ["a", "old@example.org", "t0", false],
      ["b", "bea@example.org", "t1", false],
    ]);
    expect((await migrator.migrateTo("0008-device-indexes")).error).toBeUndefined();
    const open = await store.db
      .selectFrom("deviceAssignments")
      .select(["deviceId", "userEmail", "startedAt"])
      .where("endedAt", "is", null)
      .execute();
    expect(open).toEqual([{ deviceId: "a", userEmail: "ann@example.org", startedAt: "t1" }]);
    await migrate(store.db, store.dialect);
  });

  const row = (deviceId: string, changes: Partial<DeviceRow> = {}): DeviceRow => ({
    deviceId,
    serialNumber: `SN-${deviceId}`,
    annotatedUser: null,
    syncedAt: "2026-01-01T00:00:00.000Z",
    ...changes,
  });

  it("ends an assignment once when a device is marked missing while a sync reassigns it", async () => {
    await upsertDevices(store.db, [row("a", { annotatedUser: "ann@example.org" })], "t1");
    // Marking it missing holds its transaction open; a sync page reassigning the device arrives meanwhile.
    let finishMarking: () => void = () => {};
    const marked = new Promise<void>((resolve) => {
      finishMarking = resolve;
    });
    let markingStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      markingStarted = resolve;
    });
    const marking = store.db.transaction().execute(async (trx) => {
      await endAssignment(trx, "a", "t2");
      markingStarted();
      await marked;
    });
    await started;
    const syncing = upsertDevices(store.db, [row("a", { annotatedUser: "bob@example.org" })], "t3");
    await new Promise((resolve) => setTimeout(resolve, 100));
    finishMarking();
    await Promise.all([marking, syncing]);
    const history = await store.db.selectFrom("deviceAssignments").selectAll().orderBy("id").execute();
    expect(history.map((h) => [h.userEmail, h.startedAt, h.endedAt])).toEqual([["ann@example.org", "t1", "t2"]]);
    expect(
      await store.db
        .selectFrom("devices")
        .select(["annotatedUser", "assignedSince"])
        .where("deviceId", "=", "a")
        .executeTakeFirstOrThrow(),
    ).toEqual({ annotatedUser: "bob@example.org", assignedSince: "t3" });
  });

  it("writes a page inside the caller's transaction: a rollback leaves nothing behind", async () => {
    const failure = new Error("after the page");
    await expect(
      store.db.transaction().execute(async (trx) => {
        await writeDevices(trx, [row("a", { annotatedUser: "ann@example.org" }), row("b")], "2026-01-01T00:00:00Z");
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await count("devices")).toBe(0);
    expect(await count("deviceAssignments")).toBe(0);
  });

  it("replaces the columns a row carries and keeps the rest, and ends and starts assignments", async () => {
    await upsertDevices(
      store.db,
      [row("a", { annotatedUser: "ann@example.org", seenInRun: "run-1", model: "M1" })],
      "t1",
    );
    await store.db.updateTable("devices").set({ removedAt: "t1" }).execute();
    // An incremental page carries no seenInRun: the full run's mark stays, the tombstone goes.
    await upsertDevices(store.db, [row("a", { annotatedUser: "bob@example.org", model: "M2" })], "t2");
    const device = await store.db.selectFrom("devices").selectAll().executeTakeFirstOrThrow();
    expect(device).toMatchObject({
      model: "M2",
      annotatedUser: "bob@example.org",
      seenInRun: "run-1",
      removedAt: null,
    });
    expect(device.assignedSince).toBe("t2");
    const history = await store.db.selectFrom("deviceAssignments").selectAll().orderBy("id").execute();
    expect(history.map((h) => [h.userEmail, h.startedAt, h.endedAt])).toEqual([["ann@example.org", "t1", "t2"]]);
    await upsertDevices(store.db, [row("a", { annotatedUser: null })], "t3");
    const ended = await store.db.selectFrom("deviceAssignments").selectAll().orderBy("id").execute();
    expect(ended.map((h) => [h.userEmail, h.startedAt, h.endedAt])).toEqual([
      ["ann@example.org", "t1", "t2"],
      ["bob@example.org", "t2", "t3"],
    ]);
    const unassigned = await store.db.selectFrom("devices").selectAll().executeTakeFirstOrThrow();
    expect(unassigned.assignedSince).toBeNull();
    // A write that does not carry the user (telemetry-like) leaves the assignment alone.
    await upsertDevices(store.db, [row("a", { annotatedUser: "cy@example.org" })], "t4");
    const { annotatedUser: _user, ...withoutUser } = row("a", { model: "M3" });
    await upsertDevices(store.db, [withoutUser], "t5");
    expect(await store.db.selectFrom("devices").selectAll().executeTakeFirstOrThrow()).toMatchObject({
      annotatedUser: "cy@example.org",
      assignedSince: "t4",
      model: "M3",
    });
  });

  it("writes a batch naming a device twice in order, and rows of different shapes together", async () => {
    await upsertDevices(
      store.db,
      [
        row("a", { annotatedUser: "ann@example.org", seenInRun: "run-1" }),
        row("b", { annotatedUser: "bea@example.org", model: "M1" }),
        row("a", { annotatedUser: "bob@example.org", seenInRun: "run-1" }),
      ],
      "t1",
    );
    const history = await store.db.selectFrom("deviceAssignments").selectAll().orderBy("id").execute();
    expect(history.map((h) => [h.deviceId, h.userEmail, h.endedAt])).toEqual([["a", "ann@example.org", "t1"]]);
    await upsertDevices(store.db, [row("a", { annotatedUser: "bob@example.org" }), row("b", { model: "M2" })], "t2");
    const devices = await store.db.selectFrom("devices").selectAll().orderBy("deviceId").execute();
    expect(devices.map((d) => [d.deviceId, d.annotatedUser, d.assignedSince, d.model, d.seenInRun])).toEqual([
      ["a", "bob@example.org", "t1", null, "run-1"],
      ["b", null, null, "M2", null],
    ]);
    // b lost its user: its assignment ended; a kept bob: nothing new.
    const after = await store.db.selectFrom("deviceAssignments").selectAll().orderBy("id").execute();
    expect(after.map((h) => [h.deviceId, h.userEmail, h.startedAt, h.endedAt])).toEqual([
      ["a", "ann@example.org", "t1", "t1"],
      ["b", "bea@example.org", "t1", "t2"],
    ]);
  });
});
