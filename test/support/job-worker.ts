/**
 * One agent replica for the two-process job test: schedules a job every second on the given
 * PostgreSQL database, whose effect is one row per tick it ran, then exits after `seconds`.
 */
import { sql } from "kysely";
import { JobRunner } from "../../agent/jobs/runner";
import { startScheduler } from "../../agent/jobs/scheduler";
import { createLogger } from "../../agent/log";
import { openStore } from "../../agent/store/db";

const [databaseUrl, seconds, name] = process.argv.slice(2);
const store = await openStore({ databaseUrl: databaseUrl as string });
const runner = new JobRunner(
  store.db,
  [
    {
      name: "every-second",
      title: "Every second",
      description: "Test job",
      schedule: "* * * * * *",
      leaseMs: 5_000,
      async run({ db, slot }) {
        await sql`insert into job_effects (slot, worker) values (${slot}, ${name})`.execute(db);
        await new Promise((resolve) => setTimeout(resolve, 200));
        return { slot };
      },
    },
  ],
  createLogger("silent"),
  name,
);
const scheduler = startScheduler(runner);
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
await scheduler.stop();
await runner.idle();
await store.close();
process.exit(0);
