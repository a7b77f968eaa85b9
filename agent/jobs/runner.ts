/**
 * Runs jobs so that each scheduled tick runs once across every agent replica: a lease row guards
 * against overlap (renewed while the job runs), and a unique (job, slot) run record makes a second
 * replica firing the same tick stand down. A run whose lease another agent took is told to stop
 * (its signal aborts), so the two never carry on side by side. Every run's status, duration and
 * error is kept.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { Kysely } from "kysely";
import type { JobRun } from "../../shared";
import type { Logger } from "../log";
import { isUniqueViolation } from "../store/db";
import type { Database } from "../store/schema";
import { acquireLease, leaseHolder, releaseLease, renewLease } from "./lease";
import { closeAbandonedRuns, JobStopped, leaseLostNote, leaseTakenError } from "./run-records";

export { abandonedRunError, closeAbandonedRuns, JobStopped, leaseLostNote, leaseTakenError } from "./run-records";

export interface JobContext {
  db: Kysely<Database>;
  /** The tick this run is for (or manual:<id>). */
  slot: string;
  log: Logger;
  /** Records the job's progress on its run, for the Jobs page. */
  progress(detail: Record<string, unknown>): Promise<void>;
  /**
   * Aborts when the run must stop: another agent took its lease, or this agent is shutting down.
   * A long job checks it at its safe points (between pages, batches or OUs, before writing what it
   * worked out) with `signal.throwIfAborted()`: what it stored stays, and its next run takes up the rest.
   */
  signal: AbortSignal;
}

export interface JobDefinition {
  name: string;
  title: string;
  description: string;
  /** A cron expression (seconds optional), in `timezone` when given. */
  schedule: string;
  timezone?: string;
  /** How long a lease lasts before it must be renewed; a crashed holder loses it after this. */
  leaseMs?: number;
  /**
   * Jobs that write the same data run one at a time across every replica: each run also holds its
   * group's lease. A run that finds another job of the group running waits for it up to `waitMs`
   * (0: it stands down, and the next tick tries again).
   */
  exclusive?: { group: string; waitMs: number };
  run(context: JobContext): Promise<Record<string, unknown> | undefined>;
}

/** What started a run: its schedule, someone's Run now, or the agent starting (a first or unfinished sync). */
export type JobTrigger = JobRun["trigger"];

export type RunOutcome =
  | { ran: true; runId: number; status: "succeeded" | "failed"; error?: string }
  | { ran: false; reason: "overlap" | "held-elsewhere" | "slot-taken" | "unknown-job" | "group-busy" };

/** How long a job's lease lasts unrenewed, unless the job says otherwise. */
const defaultLeaseMs = 5 * 60_000;

/** A run of a job here, once it has its record. */
interface RunHere {
  runId: number;
  startedAt: Date;
  /** Tells the run to stop. */
  stop: AbortController;
}

export class JobRunner {
  readonly holder: string;
  readonly #running = new Set<string>();
  readonly #runs = new Map<string, RunHere>();
  /** Runs here waiting for their group's lease: told to stop by `standDownWaiting`. */
  readonly #waiting = new Map<string, AbortController>();
  /** Set by `standDownWaiting`: a run that comes to wait for its group afterwards stands down too. */
  #standingDown = false;
  readonly #jobs: Map<string, JobDefinition>;

  constructor(
    readonly db: Kysely<Database>,
    jobs: JobDefinition[],
    readonly log: Logger,
    holder?: string,
    readonly now: () => Date = () => new Date(),
    /** How often a run waiting for its group's lease asks again. */
    readonly groupPollMs = 1000,
  ) {
    this.holder = holder ?? `agent-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.#jobs = new Map(jobs.map((j) => [j.name, j]));
  }

  get jobs(): JobDefinition[] {
    return [...this.#jobs.values()];
  }

  isRunningHere(name: string): boolean {
    return this.#running.has(name);
  }

  /** The title of the job of `name`'s group that runs now, here or on another replica, if any. */
  async groupBusy(name: string): Promise<string | undefined> {
    const group = this.#jobs.get(name)?.exclusive?.group;
    if (!group) return undefined;
    const holder = await leaseHolder(this.db, groupLease(group), this.now());
    if (!holder) return undefined;
    const other = holder.slice(holder.lastIndexOf("/") + 1);
    return this.#jobs.get(other)?.title ?? other;
  }

  /**
   * For a shutdown: runs here still waiting for their group's lease (a full sync waiting on an
   * incremental one, say) stand down at once, letting go of their job's lease, instead of holding the
   * shutdown up and leaving the lease for the next start to wait out. They had not started.
   */
  standDownWaiting(): void {
    this.#standingDown = true;
    for (const stop of this.#waiting.values()) stop.abort(new JobStopped("The agent is shutting down."));
  }

  /** Resolves once no job is running in this process (or after `timeoutMs`): for a clean shutdown. */
  async idle(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.#running.size && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /**
   * For a shutdown that cannot wait any longer: records each run still going here as failed with
   * `reason`, tells it to stop (its signal aborts with `reason`) and lets go of its lease, so the
   * next agent (or this one restarted) can start the job at once instead of after the lease runs out.
   * A run that ends before the store closes still records how it ended. Returns how many runs it closed.
   */
  async abandonRunning(reason: string): Promise<number> {
    const at = this.now();
    let closed = 0;
    for (const [name, run] of this.#runs) {
      run.stop.abort(new JobStopped(reason));
      const result = await this.db
        .updateTable("jobRuns")
        .set({
          status: "failed",
          error: reason,
          finishedAt: at.toISOString(),
          durationMs: at.getTime() - run.startedAt.getTime(),
        })
        .where("id", "=", run.runId)
        .where("status", "=", "running")
        .executeTakeFirst();
      closed += Number(result.numUpdatedRows);
      await this.#release(name);
      this.log.warn("job stopped unfinished by the agent's shutdown", { job: name, runId: run.runId });
    }
    return closed;
  }

  async run(name: string, trigger: JobTrigger, slot = `${trigger}:${randomUUID()}`): Promise<RunOutcome> {
    const job = this.#jobs.get(name);
    if (!job) return { ran: false, reason: "unknown-job" };
    if (this.#running.has(name)) return { ran: false, reason: "overlap" };
    this.#running.add(name);
    const leaseMs = job.leaseMs ?? defaultLeaseMs;
    const stop = new AbortController();
    const group: { held?: string } = {};
    let heartbeat: { end: () => void } | undefined;
    try {
      if (!(await acquireLease(this.db, name, this.holder, leaseMs, this.now())))
        return { ran: false, reason: "held-elsewhere" };
      heartbeat = this.#keepLease(name, leaseMs, stop, group);
      const exclusive = job.exclusive;
      if (exclusive) {
        const until = this.now().getTime() + exclusive.waitMs;
        this.#waiting.set(name, stop);
        if (this.#standingDown) stop.abort(new JobStopped("The agent is shutting down."));
        while (
          stop.signal.aborted ||
          !(await acquireLease(this.db, groupLease(exclusive.group), this.#groupHolder(name), leaseMs, this.now()))
        ) {
          if (this.now().getTime() >= until || stop.signal.aborted) {
            heartbeat.end();
            await releaseLease(this.db, name, this.holder);
            if (stop.signal.aborted) {
              const taken = stop.signal.reason instanceof JobStopped && stop.signal.reason.leaseTaken;
              if (!taken) this.log.info("job stood down while it waited for its group: shutting down", { job: name });
              return { ran: false, reason: taken ? "held-elsewhere" : "group-busy" };
            }
            this.log.info("job stood down: another job of its group is running", {
              job: name,
              running: await this.groupBusy(name),
            });
            return { ran: false, reason: "group-busy" };
          }
          // Woken early by a stop.
          await delay(this.groupPollMs, undefined, { signal: stop.signal }).catch(() => {});
        }
        this.#waiting.delete(name);
        group.held = exclusive.group;
      }
      // Another agent took the job's lease while this one waited for its group: that agent runs it.
      if (stop.signal.aborted) {
        heartbeat.end();
        await this.#release(name);
        return { ran: false, reason: "held-elsewhere" };
      }
      // Holding the lease, no other run of this job can be alive: one still recorded as running was cut off.
      const abandoned = await closeAbandonedRuns(this.db, this.now(), name);
      if (abandoned) this.log.warn("job runs left unfinished by a stopped agent closed", { job: name, abandoned });
      const startedAt = this.now();
      let runId: number;
      try {
        runId = await this.#recordStart(name, slot, trigger, startedAt);
        this.#runs.set(name, { runId, startedAt, stop });
      } catch (error) {
        heartbeat.end();
        await this.#release(name);
        if (isUniqueViolation(error)) return { ran: false, reason: "slot-taken" };
        throw error;
      }
      const ended = await this.#execute(job, runId, trigger, slot, stop.signal);
      heartbeat.end();
      const finishedAt = this.now();
      await this.db
        .updateTable("jobRuns")
        .set({
          status: ended.status,
          finishedAt: finishedAt.toISOString(),
          durationMs: finishedAt.getTime() - startedAt.getTime(),
          error: ended.error ?? null,
          ...(ended.detail ? { detail: JSON.stringify(ended.detail) } : {}),
        })
        .where("id", "=", runId)
        .execute();
      await this.#release(name);
      const ms = finishedAt.getTime() - startedAt.getTime();
      this.log.info("job finished", { job: name, runId, status: ended.status, ms });
      return { ran: true, runId, status: ended.status, error: ended.error };
    } finally {
      heartbeat?.end();
      this.#waiting.delete(name);
      this.#running.delete(name);
      this.#runs.delete(name);
    }
  }

  /**
   * Renews the job's lease (and its group's, once `group.held` names it) every third of the lease for
   * as long as the run lasts. Once a renewal finds a lease gone, another agent may be running the job:
   * the run is told to stop. `end()` before letting go of the leases: a renewal still on its way then
   * finds them gone and says nothing.
   */
  #keepLease(name: string, leaseMs: number, stop: AbortController, group: { held?: string }): { end: () => void } {
    let ended = false;
    const renew = async () => {
      if (stop.signal.aborted || ended) return;
      const at = this.now();
      const renewed =
        (await renewLease(this.db, name, this.holder, leaseMs, at)) &&
        (!group.held || (await renewLease(this.db, groupLease(group.held), this.#groupHolder(name), leaseMs, at)));
      // A run its own agent stopped (a shutdown) let go of its lease itself; so did one that ended.
      if (renewed || stop.signal.aborted || ended) return;
      this.log.error("job lost its lease while running: telling it to stop", { job: name });
      stop.abort(new JobStopped(leaseTakenError, true));
    };
    const heartbeat = setInterval(
      () =>
        void renew().catch((error: unknown) =>
          // The run goes on: the next renewal may get through before the lease runs out.
          this.log.warn("job lease renewal failed", { job: name, error: String(error) }),
        ),
      Math.max(1000, leaseMs / 3),
    );
    heartbeat.unref?.();
    return {
      end: () => {
        ended = true;
        clearInterval(heartbeat);
      },
    };
  }

  /** Records a run as started; answers its id. Throws a unique violation when the slot already has one. */
  async #recordStart(name: string, slot: string, trigger: JobTrigger, startedAt: Date): Promise<number> {
    const row = await this.db
      .insertInto("jobRuns")
      .values({
        job: name,
        slot,
        trigger,
        holder: this.holder,
        status: "running",
        startedAt: startedAt.toISOString(),
        finishedAt: null,
        durationMs: null,
        error: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Runs the job, and answers how it ended: a run told to stop that stopped has failed with why. */
  async #execute(
    job: JobDefinition,
    runId: number,
    trigger: JobTrigger,
    slot: string,
    signal: AbortSignal,
  ): Promise<{ status: "succeeded" | "failed"; error?: string; detail?: Record<string, unknown> }> {
    const context: JobContext = {
      db: this.db,
      slot,
      log: this.log,
      signal,
      progress: async (detail) => {
        await this.db
          .updateTable("jobRuns")
          .set({ detail: JSON.stringify(detail) })
          .where("id", "=", runId)
          .execute();
      },
    };
    const name = job.name;
    try {
      this.log.info("job started", { job: name, runId, trigger });
      const detail = await job.run(context);
      // It ran to its end: its work is done, though perhaps beside another agent's run of it.
      const lost = signal.reason instanceof JobStopped && signal.reason.leaseTaken;
      return { status: "succeeded", detail, ...(lost ? { error: leaseLostNote } : {}) };
    } catch (failure) {
      let error = messageOf(failure);
      if (signal.aborted) {
        const why = messageOf(signal.reason);
        error = failure === signal.reason ? why : `${error} ${why}`;
        this.log.warn("job stopped", { job: name, runId, error });
      } else this.log.error("job failed", { job: name, runId, error });
      return { status: "failed", error };
    }
  }

  /** Who holds a group's lease for a run of `name` here. */
  #groupHolder(name: string): string {
    return `${this.holder}/${name}`;
  }

  /** Lets go of the job's lease and its group's. */
  async #release(name: string): Promise<void> {
    await releaseLease(this.db, name, this.holder);
    const group = this.#jobs.get(name)?.exclusive?.group;
    if (group) await releaseLease(this.db, groupLease(group), this.#groupHolder(name));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The lease row a group of exclusive jobs shares. */
function groupLease(group: string): string {
  return `group:${group}`;
}
