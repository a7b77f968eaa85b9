/**
 * Runs jobs so that each scheduled tick runs once across every agent replica: a lease row guards
 * against overlap (renewed while the job runs), and a unique (job, slot) run record makes a second
 * replica firing the same tick stand down. Every run's status, duration and error is kept.
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { JobRun } from "../../shared";
import type { Logger } from "../log";
import { isUniqueViolation } from "../store/db";
import type { Database } from "../store/schema";
import { acquireLease, releaseLease, renewLease } from "./lease";

export interface JobContext {
  db: Kysely<Database>;
  /** The tick this run is for (or manual:<id>). */
  slot: string;
  log: Logger;
  /** Records the job's progress on its run, for the Jobs page. */
  progress(detail: Record<string, unknown>): Promise<void>;
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

/** What a run whose lease was taken from it while it ran records, besides how it ended. */
export const leaseLostNote =
  "Its lease ran out while it ran (the database was out of reach, or the agent paused for longer than the lease): another agent may have run this job at the same time.";

/** What a run left unfinished says, once it is known its agent stopped. */
export const abandonedRunError = "Did not finish: the agent running it stopped (restarted or crashed) while it ran.";

/**
 * Closes, as failed, every run still recorded as running (of `job`, or of all jobs) whose agent no
 * longer holds that job's lease: its process stopped mid-run, so nothing else will ever finish the
 * record. Without this the Jobs page would show it running for good, and keep its Run now disabled.
 * A run whose agent holds a current lease is left alone: it is running. Returns how many it closed.
 */
export async function closeAbandonedRuns(db: Kysely<Database>, now: Date, job?: string): Promise<number> {
  const at = now.toISOString();
  let update = db
    .updateTable("jobRuns")
    .set({ status: "failed", error: abandonedRunError })
    .where("status", "=", "running")
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("jobLeases")
            .select("jobLeases.job")
            .whereRef("jobLeases.job", "=", "jobRuns.job")
            .whereRef("jobLeases.holder", "=", "jobRuns.holder")
            .where("jobLeases.expiresAt", ">", at),
        ),
      ),
    );
  if (job) update = update.where("jobRuns.job", "=", job);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** What started a run: its schedule, someone's Run now, or the agent starting (a first or unfinished sync). */
export type JobTrigger = JobRun["trigger"];

export type RunOutcome =
  | { ran: true; runId: number; status: "succeeded" | "failed"; error?: string }
  | { ran: false; reason: "overlap" | "held-elsewhere" | "slot-taken" | "unknown-job" | "group-busy" };

export class JobRunner {
  readonly holder: string;
  readonly #running = new Set<string>();
  /** The run record of each job running here, once it has one. */
  readonly #runs = new Map<string, { runId: number; startedAt: Date; abandoned?: boolean }>();
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
    const lease = await this.db
      .selectFrom("jobLeases")
      .select(["holder", "expiresAt"])
      .where("job", "=", groupLease(group))
      .executeTakeFirst();
    if (!lease || new Date(lease.expiresAt) <= this.now()) return undefined;
    const other = lease.holder.slice(lease.holder.lastIndexOf("/") + 1);
    return this.#jobs.get(other)?.title ?? other;
  }

  /** Resolves once no job is running in this process (or after `timeoutMs`): for a clean shutdown. */
  async idle(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.#running.size && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /**
   * For a shutdown that cannot wait any longer: records each run still going here as failed with
   * `reason` and lets go of its lease, so the next agent (or this one restarted) can start the job at
   * once instead of after the lease runs out. The jobs are not stopped; a run that finishes before
   * the store closes still records how it ended. Returns how many runs it closed.
   */
  async abandonRunning(reason: string): Promise<number> {
    const at = this.now();
    let closed = 0;
    for (const [name, run] of this.#runs) {
      run.abandoned = true;
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
    const leaseMs = job.leaseMs ?? 5 * 60_000;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let leaseLost = false;
    try {
      if (!(await acquireLease(this.db, name, this.holder, leaseMs, this.now())))
        return { ran: false, reason: "held-elsewhere" };
      // Renews the job's lease (and its group's, once held) for as long as the run lasts.
      let heldGroup: string | undefined;
      heartbeat = setInterval(
        () =>
          void (async () => {
            const at = this.now();
            const renewed =
              (await renewLease(this.db, name, this.holder, leaseMs, at)) &&
              (!heldGroup || (await renewLease(this.db, groupLease(heldGroup), this.#groupHolder(name), leaseMs, at)));
            if (!renewed && !leaseLost && !this.#runs.get(name)?.abandoned) {
              leaseLost = true;
              this.log.error("job lost its lease while running", { job: name });
            }
          })().catch(() => {}),
        Math.max(1000, leaseMs / 3),
      );
      heartbeat.unref?.();
      const exclusive = job.exclusive;
      if (exclusive) {
        const until = this.now().getTime() + exclusive.waitMs;
        while (
          !(await acquireLease(this.db, groupLease(exclusive.group), this.#groupHolder(name), leaseMs, this.now()))
        ) {
          if (this.now().getTime() >= until) {
            await releaseLease(this.db, name, this.holder);
            this.log.info("job stood down: another job of its group is running", {
              job: name,
              running: await this.groupBusy(name),
            });
            return { ran: false, reason: "group-busy" };
          }
          await new Promise((resolve) => setTimeout(resolve, this.groupPollMs));
        }
        heldGroup = exclusive.group;
      }
      // Holding the lease, no other run of this job can be alive: one still recorded as running was cut off.
      const abandoned = await closeAbandonedRuns(this.db, this.now(), name);
      if (abandoned) this.log.warn("job runs left unfinished by a stopped agent closed", { job: name, abandoned });
      let runId: number;
      const startedAt = this.now();
      try {
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
        runId = row.id;
        this.#runs.set(name, { runId, startedAt });
      } catch (error) {
        await this.#release(name);
        if (isUniqueViolation(error)) return { ran: false, reason: "slot-taken" };
        throw error;
      }
      const context: JobContext = {
        db: this.db,
        slot,
        log: this.log,
        progress: async (detail) => {
          await this.db
            .updateTable("jobRuns")
            .set({ detail: JSON.stringify(detail) })
            .where("id", "=", runId)
            .execute();
        },
      };
      let status: "succeeded" | "failed" = "succeeded";
      let error: string | undefined;
      let detail: Record<string, unknown> | undefined;
      try {
        this.log.info("job started", { job: name, runId, trigger });
        detail = await job.run(context);
      } catch (failure) {
        status = "failed";
        error = failure instanceof Error ? failure.message : String(failure);
        this.log.error("job failed", { job: name, runId, error });
      } finally {
        clearInterval(heartbeat);
      }
      const finishedAt = this.now();
      if (leaseLost) error = error ? `${error} ${leaseLostNote}` : leaseLostNote;
      await this.db
        .updateTable("jobRuns")
        .set({
          status,
          finishedAt: finishedAt.toISOString(),
          durationMs: finishedAt.getTime() - startedAt.getTime(),
          error: error ?? null,
          ...(detail ? { detail: JSON.stringify(detail) } : {}),
        })
        .where("id", "=", runId)
        .execute();
      await this.#release(name);
      this.log.info("job finished", { job: name, runId, status, ms: finishedAt.getTime() - startedAt.getTime() });
      return { ran: true, runId, status, error };
    } finally {
      clearInterval(heartbeat);
      this.#running.delete(name);
      this.#runs.delete(name);
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

/** The lease row a group of exclusive jobs shares. */
function groupLease(group: string): string {
  return `group:${group}`;
}
