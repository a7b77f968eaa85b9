import { describe, expect, it } from "vitest";
import { abandonedRunError } from "../../agent/jobs/runner";
import { jobsPage } from "../../shared";
import { createTestAgent, type TestAgent } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { seededAgentEach } from "../support/fresh-agent";
import { runningRun } from "../support/jobs";
import { type SignedIn, signIn } from "../support/staff";

let agent: TestAgent;
let district: District;
let admin: SignedIn;
seededAgentEach(
  (district) => district.districtAdminEmail,
  (seeded) => {
    ({ agent, district, signedIn: admin } = seeded);
  },
);

describe("/api/jobs", () => {
  it("lists the jobs with their schedule, and runs one on demand with its run recorded", async () => {
    const before = jobsPage.parse(await (await admin.request("/api/jobs")).json());
    expect(before).toMatchObject({
      canRun: true,
      scheduledHere: false,
      jobs: [
        { name: "noop", schedule: "0 3 * * *", runs: [] },
        { name: "noop-follower", schedule: "15 3 * * *", runs: [] },
      ],
    });
    // This agent does not schedule the jobs, so it names no next run.
    expect(before.jobs[0]?.nextRunAt).toBeUndefined();
    expect((await admin.request("/api/jobs/noop/run", { method: "POST", body: {} })).status).toBe(202);
    await expect
      .poll(async () => (await (await admin.request("/api/jobs")).json()).jobs[0].runs[0]?.status)
      .toBe("succeeded");
    const after = jobsPage.parse(await (await admin.request("/api/jobs")).json());
    expect(after.jobs[0]?.runs[0]).toMatchObject({ trigger: "manual", status: "succeeded", detail: { ok: true } });
  });

  it("shows each job's own latest runs, however often another job runs", async () => {
    const run = (job: string, slot: string) => ({
      ...runningRun({ job, holder: "replica", slot }),
      status: "succeeded" as const,
      finishedAt: new Date().toISOString(),
      durationMs: 10,
    });
    await agent.store.db.insertInto("jobRuns").values(run("noop", "daily")).execute();
    const frequent = Array.from({ length: 300 }, (_, i) => run("noop-follower", `tick:${i}`));
    await agent.store.db.insertInto("jobRuns").values(frequent).execute();
    const page = jobsPage.parse(await (await admin.request("/api/jobs")).json());
    expect(page.jobs.find((j) => j.name === "noop")?.runs).toHaveLength(1);
    expect(page.jobs.find((j) => j.name === "noop-follower")?.runs).toHaveLength(10);
  });

  it("says when an agent that schedules the jobs next runs each one", async () => {
    const scheduling = await createTestAgent(undefined, {}, undefined, { schedule: true });
    try {
      const districtThere = await seedDistrict(scheduling);
      const adminThere = await signIn(scheduling, districtThere.districtAdminEmail);
      const page = jobsPage.parse(await (await adminThere.request("/api/jobs")).json());
      expect(page.scheduledHere).toBe(true);
      // The no-op job's "0 3 * * *", in the agent's own time zone: the next 03:00 from now.
      const next = new Date();
      next.setHours(3, 0, 0, 0);
      if (next.getTime() <= Date.now()) next.setDate(next.getDate() + 1);
      expect(page.jobs[0]?.nextRunAt).toBe(next.toISOString());
    } finally {
      await scheduling.close();
    }
  });

  it("shows a run its agent stopped in the middle of as failed, not running for good", async () => {
    await agent.store.db
      .insertInto("jobRuns")
      .values(runningRun({ job: "noop", holder: "agent-that-stopped", slot: "tick:before-restart" }))
      .execute();
    const page = jobsPage.parse(await (await admin.request("/api/jobs")).json());
    expect(page.jobs[0]?.runs[0]).toMatchObject({ status: "failed", error: abandonedRunError });
  });

  it("refuses to start a job that is running somewhere, and an unknown job", async () => {
    await agent.store.db
      .insertInto("jobLeases")
      .values({ job: "noop", holder: "other-replica", expiresAt: new Date(Date.now() + 60_000).toISOString() })
      .execute();
    expect((await admin.request("/api/jobs/noop/run", { method: "POST", body: {} })).status).toBe(409);
    expect((await admin.request("/api/jobs/nothing/run", { method: "POST", body: {} })).status).toBe(404);
  });

  it("refuses to start a job that stands down while another of its group runs, and says which", async () => {
    await agent.store.db
      .insertInto("jobLeases")
      .values({
        job: "group:noop",
        holder: "other-replica/noop",
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      })
      .execute();
    const refused = await admin.request("/api/jobs/noop-follower/run", { method: "POST", body: {} });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /No-op is running now, and this job waits for it/,
    );
  });

  it("shows an IT lead the jobs but not the button", async () => {
    const lead = await signIn(agent, district.staffEmail("school_it_lead"));
    expect((await (await lead.request("/api/jobs")).json()).canRun).toBe(false);
  });
});
