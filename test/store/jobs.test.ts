/** Jobs: leases, overlap, one run per tick across replicas, run records; on SQLite and PostgreSQL. */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { acquireLease } from "../../agent/jobs/lease";
import {
  abandonedRunError,
  closeAbandonedRuns,
  type JobDefinition,
  JobRunner,
  leaseLostNote,
} from "../../agent/jobs/runner";
import { createLogger } from "../../agent/log";
import type { Store, StoreLocation } from "../../agent/store/db";
import { freshStoreEach, storageBackends } from "../support/databases";
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
    const now = new Date("2026-11-23T02:10:00Z");
    const started = "2026-11-23T01:30:00.000Z";
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
        { job: "demo", holder: "crashed-replica", expiresAt: "2026-11-23T02:05:00.000Z" },
        { job: "other", holder: "live-replica", expiresAt: "2026-11-23T02:14:00.000Z" },
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

  it("lets another replica take over a lease its holder let expire", async () => {
    const t0 = new Date("2026-11-23T02:00:00Z");
    expect(await acquireLease(store.db, "demo", "crashed", 60_000, t0)).toBe(true);
    expect(await acquireLease(store.db, "demo", "survivor", 60_000, new Date(t0.getTime() + 30_000))).toBe(false);
    expect(await acquireLease(store.db, "demo", "survivor", 60_000, new Date(t0.getTime() + 61_000))).toBe(true);
  });

  if (backend.name === "postgres") {
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
