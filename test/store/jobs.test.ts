/**
 * Jobs: leases, overlap, one run per tick across replicas, run records, stopping a run whose lease
 * another agent took; on SQLite and PostgreSQL (whose leases follow the database's clock).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { acquireLease, leaseClock } from "../../agent/jobs/lease";
import {
  abandonedRunError,
  closeAbandonedRuns,
  type JobDefinition,
  JobRunner,
  leaseLostNote,
  leaseTakenError,
} from "../../agent/jobs/runner";
import { createLogger } from "../../agent/log";
import type { Store, StoreLocation } from "../../agent/store/db";
import { freshStoreEach, storageBackends } from "../support/databases";
import { gate } from "../support/gate";
import { gatedJob, runningRun } from "../support/jobs";

const log = createLogger("silent");

function job(overrides: Partial<JobDefinition> = {}): JobDefinition {
  return {
    name: "demo",
    title: "Demo",
    description: "A test job",
    schedule: "0 * * * *",
    run: async () => ({ done: true }),
    ...overrides,
  };
}

describe.each(storageBackends())("jobs on $name", (backend) => {
  let store: Store;
  let location: StoreLocation;
  freshStoreEach(backend, (opened, where) => {
    store = opened;
    location = where;
  });

  it("records a run's status, duration, progress and result, and a failure's error", async () => {
    const runner = new JobRunner(
      store.db,
      [
        job({
          run: async ({ progress }) => {
            await progress({ step: 1 });
            return { devices: 12 };
          },
        }),
        job({ name: "broken", run: async () => Promise.reject(new Error("Google said no")) }),
      ],
      log,
    );
    expect(await runner.run("demo", "manual")).toMatchObject({ ran: true, status: "succeeded" });
    expect(await runner.run("broken", "manual")).toMatchObject({
      ran: true,
      status: "failed",
      error: "Google said no",
    });
    const runs = await store.db.selectFrom("jobRuns").selectAll().orderBy("id").execute();
    expect(runs.map((r) => [r.job, r.status, r.error, JSON.parse(r.detail)])).toEqual([
      ["demo", "succeeded", null, { devices: 12 }],
      ["broken", "failed", "Google said no", {}],
    ]);
    expect(runs.every((r) => r.durationMs !== null && r.finishedAt !== null)).toBe(true);
    expect(await store.db.selectFrom("jobLeases").selectAll().execute()).toEqual([]);
  });

  it("guards against overlap here and elsewhere, and runs a tick once", async () => {
    const { job: slow, started: running, release } = gatedJob(job());
    const here = new JobRunner(store.db, [slow], log, "replica-a");
    const elsewhere = new JobRunner(store.db, [slow], log, "replica-b");
    const first = here.run("demo", "schedule", "tick:1");
    await running;
    expect(await here.run("demo", "manual")).toEqual({ ran: false, reason: "overlap" });
    expect(await elsewhere.run("demo", "schedule", "tick:1")).toEqual({ ran: false, reason: "held-elsewhere" });
    release({});
    expect(await first).toMatchObject({ ran: true });
    expect(await elsewhere.run("demo", "schedule", "tick:1")).toEqual({ ran: false, reason: "slot-taken" });
    expect(await elsewhere.run("demo", "schedule", "tick:2")).toMatchObject({ ran: true });
  });

  it("closes as failed a run its agent stopped in the middle of, and leaves a live one running", async () => {
    // Real time: on PostgreSQL a lease runs out by the database's clock.
    const now = new Date();
    const minutes = (n: number) => new Date(now.getTime() + n * 60_000).toISOString();
    const started = minutes(-40);
    await store.db
      .insertInto("jobRuns")
      .values([
        runningRun({ job: "demo", holder: "crashed-replica", slot: "tick:a", startedAt: started }), // its lease expired: it stopped
        runningRun({ job: "other", holder: "live-replica", slot: "tick:b", startedAt: started }), // its lease is current: it runs
        runningRun({ job: "demo", holder: "restarted-replica", slot: "tick:c", startedAt: started }), // no lease at all
      ])
      .execute();
    await store.db
      .insertInto("jobLeases")
      .values([
        { job: "demo", holder: "crashed-replica", expiresAt: minutes(-5) },
        { job: "other", holder: "live-replica", expiresAt: minutes(4) },
      ])
      .execute();
    expect(await closeAbandonedRuns(store.db, now)).toBe(2);
    const runs = await store.db.selectFrom("jobRuns").select(["slot", "status", "error"]).orderBy("slot").execute();
    expect(runs).toEqual([
      { slot: "tick:a", status: "failed", error: abandonedRunError },
      { slot: "tick:b", status: "running", error: null },
      { slot: "tick:c", status: "failed", error: abandonedRunError },
    ]);
    expect(await closeAbandonedRuns(store.db, now)).toBe(0);
  });

  it("closes the unfinished runs of a job when its next run starts", async () => {
    await store.db
      .insertInto("jobRuns")
      .values(runningRun({ job: "demo", holder: "agent-that-stopped", slot: "tick:before-restart" }))
      .execute();
    const runner = new JobRunner(store.db, [job()], log, "agent-after-restart");
    expect(await runner.run("demo", "manual")).toMatchObject({ ran: true, status: "succeeded" });
    const runs = await store.db.selectFrom("jobRuns").select(["holder", "status", "error"]).orderBy("id").execute();
    expect(runs).toEqual([
      { holder: "agent-that-stopped", status: "failed", error: abandonedRunError },
      { holder: "agent-after-restart", status: "succeeded", error: null },
    ]);
  });

  it("records a run still going at shutdown as stopped and lets go of its lease, then keeps how it really ended", async () => {
    const { job: slow, started: running, release } = gatedJob(job());
    const stopping = new JobRunner(store.db, [slow], log, "stopping-agent");
    const run = stopping.run("demo", "schedule", "tick:1");
    await running;
    expect(await stopping.abandonRunning("Stopped unfinished: shut down.")).toBe(1);
    expect(await store.db.selectFrom("jobRuns").select(["status", "error"]).execute()).toEqual([
      { status: "failed", error: "Stopped unfinished: shut down." },
    ]);
    // The lease is free at once: the next agent need not wait for it to run out.
    expect(await acquireLease(store.db, "demo", "next-agent", 60_000)).toBe(true);
    await store.db.deleteFrom("jobLeases").execute();
    // The run finishing before the store closes still records its real end.
    release({ done: true });
    expect(await run).toMatchObject({ ran: true, status: "succeeded" });
    expect(await store.db.selectFrom("jobRuns").select(["status", "error"]).execute()).toEqual([
      { status: "succeeded", error: null },
    ]);
    expect(await stopping.abandonRunning("Stopped unfinished: shut down.")).toBe(0);
  });

  it("runs the jobs of an exclusive group one at a time across replicas, waiting or standing down", async () => {
    const {
      job: full,
      started: fullRunning,
      release: endFull,
    } = gatedJob(job({ name: "full", title: "Full sync", exclusive: { group: "sync", waitMs: 0 } }));
    let nightlyRan = false;
    const jobs = [
      full,
      job({ name: "incremental", exclusive: { group: "sync", waitMs: 0 } }),
      job({
        name: "nightly",
        exclusive: { group: "sync", waitMs: 60_000 },
        run: async () => {
          nightlyRan = true;
          return {};
        },
      }),
    ];
    const here = new JobRunner(store.db, jobs, log, "replica-a", undefined, 10);
    const elsewhere = new JobRunner(store.db, jobs, log, "replica-b", undefined, 10);
    const running = here.run("full", "schedule", "tick:1");
    await fullRunning;
    // Another job of the group stands down, on this replica and on another.
    expect(await here.run("incremental", "schedule", "tick:1")).toEqual({ ran: false, reason: "group-busy" });
    expect(await elsewhere.run("incremental", "schedule", "tick:2")).toEqual({ ran: false, reason: "group-busy" });
    expect(await elsewhere.groupBusy("incremental")).toBe("Full sync");
    // One that waits starts once the running one ends.
    const waiting = elsewhere.run("nightly", "schedule", "tick:1");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(nightlyRan).toBe(false);
    endFull({});
    expect(await running).toMatchObject({ ran: true, status: "succeeded" });
    expect(await waiting).toMatchObject({ ran: true, status: "succeeded" });
    expect(nightlyRan).toBe(true);
    expect(await here.groupBusy("incremental")).toBeUndefined();
    expect(await here.run("incremental", "schedule", "tick:3")).toMatchObject({ ran: true });
    expect(await store.db.selectFrom("jobLeases").selectAll().execute()).toEqual([]);
    const runs = await store.db.selectFrom("jobRuns").select(["job", "slot"]).orderBy("id").execute();
    expect(runs).toEqual([
      { job: "full", slot: "tick:1" },
      { job: "nightly", slot: "tick:1" },
      { job: "incremental", slot: "tick:3" },
    ]);
  });

  it("lets go of a group's lease too when the agent shuts down mid-run", async () => {
    const { job: slow, started, release } = gatedJob(job({ exclusive: { group: "sync", waitMs: 0 } }));
    const stopping = new JobRunner(store.db, [slow], log, "stopping-agent");
    const run = stopping.run("demo", "schedule", "tick:1");
    await started;
    expect(await stopping.abandonRunning("Stopped unfinished: shut down.")).toBe(1);
    expect(await store.db.selectFrom("jobLeases").selectAll().execute()).toEqual([]);
    release({});
    await run;
  });

  it("records that a run lost its lease while it ran, with how it ended", async () => {
    const { job: slow, started, release } = gatedJob(job({ leaseMs: 1_000 }));
    const lines: string[] = [];
    const runner = new JobRunner(
      store.db,
      [slow],
      createLogger("info", (line) => lines.push(line)),
      "replica-a",
    );
    const run = runner.run("demo", "schedule", "tick:1");
    await started;
    // Its lease runs out and another replica takes it (the database was out of reach, say).
    await store.db.updateTable("jobLeases").set({ holder: "replica-b" }).where("job", "=", "demo").execute();
    // The next renewal finds it gone.
    await expect.poll(() => lines.some((line) => line.includes("job lost its lease while running"))).toBe(true);
    release({ done: true });
    expect(await run).toMatchObject({ ran: true, status: "succeeded" });
    expect(await store.db.selectFrom("jobRuns").select(["status", "error"]).execute()).toEqual([
      { status: "succeeded", error: leaseLostNote },
    ]);
  });

  it("tells a run whose lease another agent took to stop, records why, and keeps what it did", async () => {
    const page = gate();
    let signal: AbortSignal | undefined;
    const walker = job({
      leaseMs: 1_000,
      run: async (context) => {
        signal = context.signal;
        await context.progress({ pagesStored: 1 });
        page.arrive();
        await page.opened; // the next page arrives
        context.signal.throwIfAborted();
        return { pagesStored: 2 };
      },
    });
    const runner = new JobRunner(store.db, [walker], log, "replica-a");
    const run = runner.run("demo", "schedule", "tick:1");
    await page.arrived;
    // Its lease runs out and another replica takes it (the database was out of reach, say).
    await store.db.updateTable("jobLeases").set({ holder: "replica-b" }).where("job", "=", "demo").execute();
    // The next renewal finds it gone and tells the run to stop.
    await expect.poll(() => signal?.aborted).toBe(true);
    page.open();
    expect(await run).toMatchObject({ ran: true, status: "failed", error: leaseTakenError });
    const runs = await store.db.selectFrom("jobRuns").select(["status", "error", "detail"]).execute();
    expect(runs.map((r) => ({ ...r, detail: JSON.parse(r.detail) }))).toEqual([
      { status: "failed", error: leaseTakenError, detail: { pagesStored: 1 } },
    ]);
    // The lease stays with the replica that took it.
    expect(await store.db.selectFrom("jobLeases").select(["job", "holder"]).execute()).toEqual([
      { job: "demo", holder: "replica-b" },
    ]);
  });

  it("stands a run waiting for its group down at once on shutdown, letting go of its lease", async () => {
    let ran = false;
    const waiting = job({
      exclusive: { group: "sync", waitMs: 30 * 60_000 },
      run: async () => {
        ran = true;
        return {};
      },
    });
    // It would ask for the group again only in ten minutes: standing down must wake it.
    const runner = new JobRunner(store.db, [waiting], log, "replica-a", undefined, 10 * 60_000);
    const far = new Date(Date.now() + 60 * 60_000).toISOString();
    await store.db
      .insertInto("jobLeases")
      .values({ job: "group:sync", holder: "replica-b/full", expiresAt: far })
      .execute();
    const run = runner.run("demo", "schedule", "tick:1");
    await expect
      .poll(() => store.db.selectFrom("jobLeases").select("holder").where("job", "=", "demo").execute())
      .toEqual([{ holder: "replica-a" }]);
    runner.standDownWaiting();
    expect(await run).toEqual({ ran: false, reason: "group-busy" });
    expect(ran).toBe(false);
    expect(await store.db.selectFrom("jobLeases").select("job").execute()).toEqual([{ job: "group:sync" }]);
    expect(await store.db.selectFrom("jobRuns").selectAll().execute()).toEqual([]);
  });

  it("does not start a run whose lease another agent took while it waited for its group", async () => {
    const lines: string[] = [];
    let ran = false;
    const waiting = job({
      leaseMs: 1_000,
      exclusive: { group: "sync", waitMs: 60_000 },
      run: async () => {
        ran = true;
        return {};
      },
    });
    const runner = new JobRunner(
      store.db,
      [waiting],
      createLogger("info", (line) => lines.push(line)),
      "replica-a",
      undefined,
      10,
    );
    const far = new Date(Date.now() + 60 * 60_000).toISOString();
    await store.db
      .insertInto("jobLeases")
      .values({ job: "group:sync", holder: "replica-b/full", expiresAt: far })
      .execute();
    const run = runner.run("demo", "schedule", "tick:1");
    await expect
      .poll(() => store.db.selectFrom("jobLeases").select("holder").where("job", "=", "demo").execute())
      .toEqual([{ holder: "replica-a" }]);
    await store.db.updateTable("jobLeases").set({ holder: "replica-b" }).where("job", "=", "demo").execute();
    await expect.poll(() => lines.some((line) => line.includes("job lost its lease while running"))).toBe(true);
    // The group comes free: the run must not take it now, as another agent holds the job.
    await store.db.deleteFrom("jobLeases").where("job", "=", "group:sync").execute();
    expect(await run).toEqual({ ran: false, reason: "held-elsewhere" });
    expect(ran).toBe(false);
    expect(await store.db.selectFrom("jobRuns").selectAll().execute()).toEqual([]);
  });

  it("tells a run still going at shutdown to stop, and records it stopped", async () => {
    const step = gate();
    let signal: AbortSignal | undefined;
    const walker = job({
      run: async (context) => {
        signal = context.signal;
        step.arrive();
        await step.opened;
        context.signal.throwIfAborted();
        return {};
      },
    });
    const stopping = new JobRunner(store.db, [walker], log, "stopping-agent");
    const run = stopping.run("demo", "schedule", "tick:1");
    await step.arrived;
    expect(await stopping.abandonRunning("Stopped unfinished: shut down.")).toBe(1);
    expect(signal?.aborted).toBe(true);
    step.open();
    expect(await run).toMatchObject({ ran: true, status: "failed", error: "Stopped unfinished: shut down." });
    expect(await store.db.selectFrom("jobRuns").select(["status", "error"]).execute()).toEqual([
      { status: "failed", error: "Stopped unfinished: shut down." },
    ]);
  });

  if (backend.name === "sqlite") {
    it("lets another replica take over a lease its holder let expire", async () => {
      const t0 = new Date("2026-11-23T02:00:00Z");
      expect(await acquireLease(store.db, "demo", "crashed", 60_000, t0)).toBe(true);
      expect(await acquireLease(store.db, "demo", "survivor", 60_000, new Date(t0.getTime() + 30_000))).toBe(false);
      expect(await acquireLease(store.db, "demo", "survivor", 60_000, new Date(t0.getTime() + 61_000))).toBe(true);
    });
  }

  if (backend.name === "postgres") {
    const minutesAway = (n: number) => () => new Date(Date.now() + n * 60_000);

    it("lets another replica take over a lease once it runs out by the database's clock, whatever its own says", async () => {
      const lagging = minutesAway(-10)();
      expect(await acquireLease(store.db, "demo", "crashed", 60_000)).toBe(true);
      expect(await acquireLease(store.db, "demo", "survivor", 60_000, lagging)).toBe(false);
      // The holder stopped renewing, and its lease ran out a moment ago by the database's clock.
      await store.db
        .updateTable("jobLeases")
        .set({ expiresAt: leaseClock(store.db, new Date(), -1_000) })
        .where("job", "=", "demo")
        .execute();
      expect(await acquireLease(store.db, "demo", "survivor", 60_000, lagging)).toBe(true);
    });

    it("never lets two replicas whose clocks are 20 minutes apart both hold a lease", async () => {
      const { job: slow, started, release } = gatedJob(job({ exclusive: { group: "sync", waitMs: 0 } }));
      let aheadRan = false;
      const onAheadClock = [
        job({
          exclusive: { group: "sync", waitMs: 0 },
          run: async () => {
            aheadRan = true;
            return {};
          },
        }),
        job({
          name: "incremental",
          exclusive: { group: "sync", waitMs: 0 },
          run: async () => {
            aheadRan = true;
            return {};
          },
        }),
      ];
      // The job's and its group's leases last 5 minutes, taken by a replica 10 minutes behind.
      const behind = new JobRunner(store.db, [slow], log, "replica-behind", minutesAway(-10));
      const ahead = new JobRunner(store.db, onAheadClock, log, "replica-ahead", minutesAway(10));
      const run = behind.run("demo", "schedule", "tick:1");
      await started;
      // On its own clock they ran out minutes ago; on the database's they have minutes to go.
      expect(await ahead.run("demo", "schedule", "tick:2")).toEqual({ ran: false, reason: "held-elsewhere" });
      expect(await ahead.run("incremental", "schedule", "tick:2")).toEqual({ ran: false, reason: "group-busy" });
      expect(await ahead.groupBusy("incremental")).toBe("Demo");
      expect(await closeAbandonedRuns(store.db, minutesAway(10)())).toBe(0);
      expect(aheadRan).toBe(false);
      release({});
      expect(await run).toMatchObject({ ran: true, status: "succeeded" });
      expect(await store.db.selectFrom("jobRuns").select(["holder", "status"]).execute()).toEqual([
        { holder: "replica-behind", status: "succeeded" },
      ]);
    });

    it("runs each scheduled tick once with two agent processes on one PostgreSQL", async () => {
      await sql`create table job_effects (slot text not null, worker text not null)`.execute(store.db);
      const worker = path.resolve(import.meta.dirname, "../support/job-worker.ts");
      const url = "databaseUrl" in location ? location.databaseUrl : "";
      const run = promisify(execFile);
      const tsx = path.resolve(import.meta.dirname, "../../node_modules/.bin/tsx");
      await Promise.all([run(tsx, [worker, url, "5", "replica-a"]), run(tsx, [worker, url, "5", "replica-b"])]);
      const effects = (
        await sql<{ slot: string; worker: string }>`select slot, worker from job_effects`.execute(store.db)
      ).rows;
      const slots = effects.map((e) => e.slot);
      expect(slots.length).toBeGreaterThanOrEqual(2);
      expect(new Set(slots).size).toBe(slots.length);
      const runs = await store.db.selectFrom("jobRuns").selectAll().where("job", "=", "every-second").execute();
      expect(
        runs
          .filter((r) => r.status === "succeeded")
          .map((r) => r.slot)
          .sort(),
      ).toEqual([...slots].sort());
    }, 60_000);
  }
});
