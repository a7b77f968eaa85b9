import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestAgent, type TestAgent } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { signIn } from "../support/staff";

let agent: TestAgent;
let district: District;
beforeEach(async () => {
  agent = await createTestAgent(undefined, {}, undefined, { google: true });
  district = await seedDistrict(agent);
});
afterEach(() => agent.close());

describe("/api/settings/google", () => {
  it("says how the agent reaches Google and checks the connection", async () => {
    const admin = await signIn(agent, district.districtAdminEmail);
    expect(await (await admin.request("/api/settings/google")).json()).toMatchObject({
      mode: "sandbox",
      customerId: "my_customer",
      description: expect.stringMatching(/sandbox/),
    });
    const checked = await (await admin.request("/api/settings/google/check", { method: "POST", body: {} })).json();
    expect(checked).toMatchObject({
      ok: true,
      message: expect.stringMatching(/^Connected: \d+ organizational units visible\.$/),
    });
  });
});
