import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestAgent, type TestAgent } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { type SignedIn, signIn } from "../support/staff";

let agent: TestAgent;
let district: District;
let admin: SignedIn;
beforeEach(async () => {
  agent = await createTestAgent();
  district = await seedDistrict(agent);
  admin = await signIn(agent, district.districtAdminEmail);
});
afterEach(() => agent.close());

describe("/api/jobs", () => {
  it("lists the jobs with their schedule, and runs one on demand with its run recorded", async () => {
    const before = await (await admin.request("/api/jobs")).json();
    expect(before).toMatchObject({ canRun: true, jobs: [{ name: "noop", schedule: "0 3 * * *", runs: [] }] });
    expect((await admin.request("/api/jobs/noop/run", { method: "POST", body: {} })).status).toBe(202);
    await expect
      .poll(async () => (await (await admin.request("/api/jobs")).json()).jobs[0].runs[0]?.status)
      .toBe("succeeded");
    const after = await (await admin.request("/api/jobs")).json();
    expect(after.jobs[0].runs[0]).toMatchObject({ trigger: "manual", detail: { ok: true } });
  });

  it("refuses to start a job that is running somewhere, and an unknown job", async () => {
    await agent.store.db
      .insertInto("jobLeases")
      .values({ job: "noop", holder: "other-replica", expiresAt: new Date(Date.now() + 60_000).toISOString() })
      .execute();
    expect((await admin.request("/api/jobs/noop/run", { method: "POST", body: {} })).status).toBe(409);
    expect((await admin.request("/api/jobs/nothing/run", { method: "POST", body: {} })).status).toBe(404);
  });

  it("shows an IT lead the jobs but not the button", async () => {
    const lead = await signIn(agent, district.staffEmail("school_it_lead"));
    expect((await (await lead.request("/api/jobs")).json()).canRun).toBe(false);
  });
});
