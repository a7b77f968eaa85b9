/**
 * Runs still recorded as running are looked for on every Jobs page load and every run start, to
 * close the ones a stopped agent left (`closeAbandonedRuns`). `job_runs` gains a row every few minutes
 * for as long as TechDesk runs, and very few are ever running: an index on the status finds them
 * without reading the rest.
 */
import type { Kysely } from "kysely";

export const runningJobsMigration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex("job_runs_status").on("job_runs").column("status").execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex("job_runs_status").execute();
  },
};
