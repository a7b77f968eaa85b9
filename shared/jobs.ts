/** The Jobs page: each scheduled job, when it next runs, and how its recent runs went. */
import { z } from "zod";

export const jobRun = z.object({
  id: z.number().int(),
  /** Its schedule, someone's Run now, or the agent starting (a first sync, or one a stopped agent left unfinished). */
  trigger: z.enum(["schedule", "manual", "startup"]),
  status: z.enum(["running", "succeeded", "failed"]),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  durationMs: z.number().int().optional(),
  error: z.string().optional(),
  /** The job's own figures: its progress while it runs, its result when it is done. */
  detail: z.record(z.string(), z.unknown()),
});
export type JobRun = z.infer<typeof jobRun>;

export const scheduledJob = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  /** A cron expression, in `timezone` when given (else the agent's). */
  schedule: z.string(),
  timezone: z.string().optional(),
  /** When this agent's scheduler next starts it; absent when this agent does not schedule jobs. */
  nextRunAt: z.string().optional(),
  /** The newest first, at most ten. */
  runs: z.array(jobRun),
});
export type ScheduledJob = z.infer<typeof scheduledJob>;

export const jobsPage = z.object({
  /** Whether the signed-in person may start a job now. */
  canRun: z.boolean(),
  /** Whether this agent runs the jobs on their schedules (`JOBS_ENABLED`). */
  scheduledHere: z.boolean(),
  jobs: z.array(scheduledJob),
});
export type JobsPage = z.infer<typeof jobsPage>;
