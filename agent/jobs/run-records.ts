/**
 * How a job's runs end up in `job_runs` besides succeeding or failing on their own: stopped (another
 * agent took the lease, or the agent shut down), run to the end without their lease, or left
 * unfinished by an agent that stopped.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import { leaseClock } from "./lease";

/** Why a run must stop, as its signal's reason; the message is the error its run records. */
export class JobStopped extends Error {
  constructor(
    message: string,
    /** Stopped because another agent took its lease, rather than by its own agent. */
    readonly leaseTaken = false,
  ) {
    super(message);
    this.name = "JobStopped";
  }
}

/** What a run stopped because another agent took its lease records. */
export const leaseTakenError =
  "Stopped: another agent took its lease while it ran (the database was out of reach, or the agent paused for longer than the lease). What it had done is kept, and the job's next run takes up the rest.";

/** What a run that lost its lease and ran to its end all the same (it did not stop) records, besides how it ended. */
export const leaseLostNote =
  "Its lease ran out while it ran (the database was out of reach, or the agent paused for longer than the lease): another agent may have run this job at the same time.";

/** What a run left unfinished says, once it is known its agent stopped. */
export const abandonedRunError = "Did not finish: the agent running it stopped (restarted or crashed) while it ran.";

/**
 * Closes, as failed, every run still recorded as running (of `job`, or of all jobs) whose agent no
 * longer holds that job's lease: its process stopped mid-run, so nothing else will ever finish the
 * record. Without this the Jobs page would show it running for good, and keep its Run now disabled.
 * A run whose agent holds a current lease is left alone: it is running. Returns how many it closed.
 * Leases are judged by the database's clock on PostgreSQL (`now` serves on SQLite).
 */
export async function closeAbandonedRuns(db: Kysely<Database>, now: Date, job?: string): Promise<number> {
  const at = leaseClock(db, now);
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
