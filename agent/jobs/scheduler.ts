/** Puts every job on its node-cron schedule; each tick goes through the runner's lease and slot. */
import cron from "node-cron";
import type { JobRunner } from "./runner";

/** A tick's slot: its scheduled time to the second, the same on every replica. */
export function slotOf(date: Date): string {
  return `tick:${new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString()}`;
}

export function startScheduler(runner: JobRunner): { stop(): Promise<void> } {
  const tasks = runner.jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async (context) => {
        const outcome = await runner.run(job.name, "schedule", slotOf(context.date));
        if (!outcome.ran) runner.log.debug("scheduled job not run here", { job: job.name, reason: outcome.reason });
      },
      { name: job.name, timezone: job.timezone },
    ),
  );
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()));
    },
  };
}
