/**
 * The long jobs told to stop (another agent took their lease) stop at a safe point, keep what they
 * did, and leave the rest to their next run; on SQLite and PostgreSQL.
 */
import { describe, expect, it } from "vitest";
import type { DevicePageQuery, DirectoryAdapter } from "../../agent/google/directory";
import type { TelemetryAdapter } from "../../agent/google/telemetry";
import { inventoryJobs } from "../../agent/jobs/inventory-jobs";
import { lockdownJob } from "../../agent/jobs/lockdown-job";
import { type JobContext, type JobDefinition, JobRunner, leaseTakenError } from "../../agent/jobs/runner";
import { createLogger } from "../../agent/log";
import type { ActionWorker } from "../../agent/services/action-worker";
import { markMissing, systemActor } from "../../agent/services/device-actions";
import { fullSyncUnfinished, type SyncProgress, toDeviceRow } from "../../agent/services/inventory-sync";
import { slaActor } from "../../agent/services/sla";
import type { Store } from "../../agent/store/db";
import { readSyncState, upsertDevices } from "../../agent/store/devices";
import { createTestAgent, lincoln, type TestAgent, testConfig } from "../support/agent";
import { freshDatabaseEach, freshStoreEach, storageBackends } from "../support/databases";
import { type District, seedDistrict } from "../support/district";
import { gate } from "../support/gate";

const log = createLogger("silent");

/** Why a job called here is told to stop, as the runner tells one whose lease another agent took. */
const takenOver = new Error("Stopped: another agent took its lease.");

/** A run's context, for calling a job's `run` as the runner would. */
function contextFor(store: Store, signal: AbortSignal, progress: JobContext["progress"] = async () => {}): JobContext {
  return { db: store.db, slot: "manual:test", log, progress, signal };
}

function jobNamed(jobs: JobDefinition[], name: string): JobDefinition {
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new Error(`no job ${name}`);
  return job;
}

const devicesPerPage = 5;

/**
 * Google with `pages` pages of devices, all in the root OU. Records the page of each listing;
 * `hold(page)` holds back that page's listing until the test opens its gate.
 */
function pagedGoogle(pages: number) {
  const listed: number[] = [];
  const held = new Map<number, ReturnType<typeof gate>>();
  const device = (n: number) => ({
    deviceId: `device-${n}`,
    serialNumber: `SN${n}`,
    status: "ACTIVE",
    orgUnitPath: "/",
  });
  const directory: Pick<DirectoryAdapter, "listOrgUnits" | "listDevicesPage"> = {
    listOrgUnits: async () => [],
    listDevicesPage: async (query: DevicePageQuery) => {
      const page = Number(query.pageToken ?? 0);
      listed.push(page);
      const hold = held.get(page);
      if (hold) {
        hold.arrive();
        await hold.opened;
      }
      return {
        devices: Array.from({ length: devicesPerPage }, (_, i) => device(page * devicesPerPage + i)),
        nextPageToken: page + 1 < pages ? String(page + 1) : undefined,
      };
    },
  };
  const telemetry: TelemetryAdapter = { listPage: async () => ({ devices: [], nextPageToken: undefined }) };
  return {
    directory: directory as DirectoryAdapter,
    telemetry,
    listed,
    hold(page: number) {
      const hold = gate();
      held.set(page, hold);
      return hold;
    },
  };
}

describe.each(storageBackends())("jobs told to stop on $name", (backend) => {
  describe("with a store", () => {
    let store: Store;
    freshStoreEach(backend, (opened) => {
      store = opened;
    });

    const count = async (table: "devices" | "deviceActions") =>
      Number(
        (
          await store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it("stops a full sync between pages when another agent takes its lease, and the next run resumes it", async () => {
      const google = pagedGoogle(6);
      const held = google.hold(3);
      const fullSync = {
        ...jobNamed(inventoryJobs(testConfig(), google.directory, google.telemetry), "inventory-full-sync"),
        leaseMs: 1_000,
      };
      const lines: string[] = [];
      const runner = new JobRunner(
        store.db,
        [fullSync],
        createLogger("info", (line) => lines.push(line)),
        "replica-a",
      );
      const run = runner.run("inventory-full-sync", "schedule", "tick:1");
      await held.arrived;
      await store.db
        .updateTable("jobLeases")
        .set({ holder: "replica-b" })
        .where("job", "=", "inventory-full-sync")
        .execute();
      await expect.poll(() => lines.some((line) => line.includes("job lost its lease while running"))).toBe(true);
      held.open();
      expect(await run).toMatchObject({ ran: true, status: "failed", error: leaseTakenError });
      // It stopped between pages: the pages it stored stay with their resume point, the rest it never listed.
      expect(google.listed).not.toContain(5);
      expect(await fullSyncUnfinished(store.db)).toBe(true);
      const saved = await readSyncState<SyncProgress>(store.db, "inventory.full");
      const resumeAt = Number(saved?.pending["/"]);
      expect(resumeAt).toBeGreaterThan(0);
      expect(await count("devices")).toBe(resumeAt * devicesPerPage);

      // The agent that took the lease is done with it; the next run carries on from the saved page.
      await store.db.deleteFrom("jobLeases").execute();
      const listedBefore = google.listed.length;
      expect(await runner.run("inventory-full-sync", "schedule", "tick:2")).toMatchObject({
        ran: true,
        status: "succeeded",
      });
      expect(google.listed.slice(listedBefore)).toEqual(Array.from({ length: 6 - resumeAt }, (_, i) => resumeAt + i));
      expect(await count("devices")).toBe(6 * devicesPerPage);
      expect(
        await store.db.selectFrom("devices").select("deviceId").where("removedAt", "is not", null).execute(),
      ).toEqual([]);
    });

    /** A Lincoln device marked missing: tonight's lockdown disables it. */
    async function missingDevice(): Promise<string> {
      const at = new Date().toISOString();
      const row = toDeviceRow(
        { deviceId: "device-lost", serialNumber: "LOST0001", status: "ACTIVE", orgUnitPath: lincoln },
        null,
        at,
      );
      await upsertDevices(store.db, [row], at);
      const device = await store.db
        .selectFrom("devices")
        .selectAll()
        .where("deviceId", "=", row.deviceId)
        .executeTakeFirstOrThrow();
      await markMissing(store.db, systemActor, device, { reason: "Left on the bus" }, { now: new Date() });
      return row.deviceId;
    }

    const lockdownNotices = () =>
      store.db.selectFrom("notifications").select("title").where("title", "like", "Overnight lockdown%").execute();

    /** A lockdown run that has recorded its disables and waits for the action worker (held by `draining`). */
    async function lockdownWaiting() {
      const draining = gate();
      const worker: Pick<ActionWorker, "drain"> = {
        drain: async () => {
          draining.arrive();
          await draining.opened;
          return true;
        },
      };
      const lockdown = lockdownJob(testConfig(), store.db, worker as ActionWorker, () => new Date());
      const stop = new AbortController();
      const run = lockdown.run(contextFor(store, stop.signal));
      run.catch(() => {}); // awaited by the test
      await draining.arrived;
      return { draining, stop, run };
    }

    it("stops the lockdown while it waits for its disables: they stay queued, and it tells no one", async () => {
      const deviceId = await missingDevice();
      const { draining, stop, run } = await lockdownWaiting();
      stop.abort(takenOver);
      draining.open();
      await expect(run).rejects.toThrow(takenOver);
      expect(await store.db.selectFrom("deviceActions").select(["deviceId", "kind", "state"]).execute()).toEqual([
        { deviceId, kind: "disable", state: "requested" },
      ]);
      expect(await lockdownNotices()).toEqual([]);
    });

    it("stopped while it waits, still tells the school of a disable that ended meanwhile", async () => {
      const deviceId = await missingDevice();
      const { draining, stop, run } = await lockdownWaiting();
      // The action worker confirms the disable; then another agent takes the lease.
      await store.db
        .updateTable("deviceActions")
        .set({ state: "confirmed" })
        .where("deviceId", "=", deviceId)
        .execute();
      stop.abort(takenOver);
      await expect(run).rejects.toThrow(takenOver);
      expect(await lockdownNotices()).toEqual([{ title: "Overnight lockdown disabled 1 device" }]);
      draining.open();
    });

    it("stops the lockdown told to stop before it records a disable", async () => {
      await missingDevice();
      const worker: Pick<ActionWorker, "drain"> = { drain: async () => true };
      const lockdown = lockdownJob(testConfig(), store.db, worker as ActionWorker, () => new Date());
      const stop = new AbortController();
      stop.abort(takenOver);
      await expect(lockdown.run(contextFor(store, stop.signal))).rejects.toThrow(takenOver);
      expect(await count("deviceActions")).toBe(0);
      expect(await lockdownNotices()).toEqual([]);
    });
  });

  describe("with an agent", () => {
    const start = new Date("2026-03-02T08:00:00.000Z");
    let clock = start;
    let agent: TestAgent;
    let district: District;
    freshDatabaseEach(backend, async (location) => {
      clock = start;
      agent = await createTestAgent(location, { SLA_WEEKENDS: "count" }, () => clock, { sla: true, google: true });
      district = await seedDistrict(agent);
      return () => agent.close();
    });

    it("stops the SLA check at the end of a batch: what it did stays, the next pass waits for the next run", async () => {
      const unworked = await district.file("lincoln");
      const withLead = await district.file("lincoln", { category: "broken_damaged" });
      clock = new Date(start.getTime() + 80 * 3_600_000);
      const stop = new AbortController();
      const sla = jobNamed(agent.jobs.jobs, "sla-escalation");
      // Told to stop while it moved the first ticket up.
      const progress = async () => stop.abort(takenOver);
      await expect(sla.run(contextFor(agent.store, stop.signal, progress))).rejects.toThrow(takenOver);
      const slaEntries = (number: number) =>
        agent.store.db
          .selectFrom("ticketEvents")
          .select("kind")
          .where("ticketNumber", "=", number)
          .where("actorName", "=", slaActor.name)
          .execute();
      expect(await slaEntries(unworked)).toEqual([{ kind: "escalated" }]);
      expect(await slaEntries(withLead)).toEqual([]);
    });

    it("records no filter check told to stop while it read Google's policies", async () => {
      const stop = new AbortController();
      const check = jobNamed(agent.jobs.jobs, "filter-audit");
      const progress = async () => stop.abort(takenOver);
      await expect(check.run(contextFor(agent.store, stop.signal, progress))).rejects.toThrow(takenOver);
      expect(await agent.store.db.selectFrom("filterState").select("ouPath").execute()).toEqual([]);
      expect(await agent.store.db.selectFrom("filterHistory").select("ouPath").execute()).toEqual([]);
    }, 60_000);

    it("queues nothing more in an app reconcile told to stop", async () => {
      const stop = new AbortController();
      stop.abort(takenOver);
      const reconcile = jobNamed(agent.jobs.jobs, "app-reconcile");
      await expect(reconcile.run(contextFor(agent.store, stop.signal))).rejects.toThrow(takenOver);
      expect(await agent.store.db.selectFrom("remediations").select("ouPath").execute()).toEqual([]);
    });
  });
});
