/** /api/jobs: the scheduled jobs, their recent runs and progress, and running one on demand. */
import { Hono } from "hono";
import { holdsAnywhere, type JobsPage, jobRun } from "../../shared";
import { authorize, requireSession } from "../auth/session";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { requireJson } from "../http";
import { leaseHolder } from "../jobs/lease";
import { closeAbandonedRuns } from "../jobs/runner";

export function jobRoutes(deps: AgentDeps) {
  const session = requireSession(deps);
  const runner = () => {
    if (!deps.jobs) throw new ApiError(503, "internal", "Scheduled jobs are not running in this agent.");
    return deps.jobs;
  };
  return new Hono<AgentEnv>()
    .get("/api/jobs", session, async (c) => {
      if (!holdsAnywhere(c.get("staff").grants, "job.read"))
        throw new ApiError(403, "forbidden", "Your role does not include the jobs page.");
      const jobs = runner().jobs;
      // A run its agent left unfinished (restart, crash) is shown as failed, not as running for good.
      await closeAbandonedRuns(deps.db, deps.now());
      // Each job's own ten latest runs: a daily job's are not crowded out by a job that runs every 15 minutes.
      const runs = (
        await Promise.all(
          jobs.map((job) =>
            deps.db
              .selectFrom("jobRuns")
              .selectAll()
              .where("job", "=", job.name)
              .orderBy("id", "desc")
              .limit(10)
              .execute(),
          ),
        )
      ).flat();
      const page: JobsPage = {
        canRun: holdsAnywhere(c.get("staff").grants, "job.run") && c.get("staff").grants.some((g) => g.school === "*"),
        scheduledHere: deps.schedule !== undefined,
        jobs: jobs.map((job) => ({
          name: job.name,
          title: job.title,
          description: job.description,
          schedule: job.schedule,
          timezone: job.timezone,
          nextRunAt: deps.schedule?.nextRun(job.name)?.toISOString(),
          runs: runs
            .filter((r) => r.job === job.name)
            .slice(0, 10)
            .map((r) =>
              jobRun.parse({
                id: r.id,
                trigger: r.trigger,
                status: r.status,
                startedAt: r.startedAt,
                finishedAt: r.finishedAt ?? undefined,
                durationMs: r.durationMs ?? undefined,
                error: r.error ?? undefined,
                detail: JSON.parse(r.detail),
              }),
            ),
        })),
      };
      return c.json(page);
    })
    .post("/api/jobs/:name/run", session, requireJson, async (c) => {
      authorize(c, "job.run");
      const jobs = runner();
      const name = c.req.param("name");
      if (!jobs.jobs.some((j) => j.name === name))
        throw new ApiError(404, "not_found", `There is no job called ${name}.`);
      // Judged as the runner judges leases (by the database's clock on PostgreSQL).
      if (jobs.isRunningHere(name) || (await leaseHolder(deps.db, name, deps.now()))) {
        throw new ApiError(409, "conflict", "That job is running now; its progress shows on this page.");
      }
      // A job that stands down while another of its group runs would not start: say so now.
      const busy = jobs.jobs.find((j) => j.name === name)?.exclusive?.waitMs === 0 && (await jobs.groupBusy(name));
      if (busy) {
        throw new ApiError(
          409,
          "conflict",
          `${busy} is running now, and this job waits for it: try again once it ends.`,
        );
      }
      void jobs
        .run(name, "manual")
        .catch((error) => deps.log.error("job run failed to start", { job: name, error: String(error) }));
      return c.json({ started: true }, 202);
    });
}
