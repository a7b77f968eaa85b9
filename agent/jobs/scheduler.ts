/** Puts every job on its node-cron schedule; each tick goes through the runner's lease and slot. */
import cron from "node-cron";
import type { JobRunner } from "./runner";

/** A tick's slot: its scheduled time to the second, the same on every replica. */
export function slotOf(date: Date): string {
  return `tick:${new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString()}`;
}

/** The jobs on their schedules in this agent. */
export interface JobSchedule {
  /** When the job's schedule next fires here; undefined for a job not scheduled, or once stopped. */
  nextRun(name: string): Date | undefined;
  stop(): Promise<void>;
}

export function startScheduler(runner: JobRunner): JobSchedule {
  const tasks = new Map(
    runner.jobs.map((job) => [
      job.name,
      cron.schedule(
        job.schedule,
        async (context) => {
          const outcome = await runner.run(job.name, "schedule", slotOf(context.date));
          if (!outcome.ran) runner.log.debug("scheduled job not run here", { job: job.name, reason: outcome.reason });
        },
        { name: job.name, timezone: job.timezone },
      ),
    ]),
  );
  return {
    nextRun: (name) => tasks.get(name)?.getNextRun() ?? undefined,
    async stop() {
      await Promise.all([...tasks.values()].map((t) => t.stop()));
    },
  };
}
