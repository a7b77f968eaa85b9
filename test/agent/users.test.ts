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

describe("/api/users", () => {
  it("lists staff with their roles per school", async () => {
    const { users } = await (await admin.request("/api/users")).json();
    expect(users.find((u: { email: string }) => u.email === "coach@lincoln.example.org")).toMatchObject({
      grants: [{ role: "coach", school: "/Schools/Lincoln High" }],
      disabled: false,
    });
  });

  it("adds an account that can sign in, and refuses a duplicate email", async () => {
    const body = {
      email: "new.lead@lincoln.example.org",
      displayName: "New Lead",
      password: "a long enough password",
      grants: [{ role: "school_it_lead", school: "/Schools/Lincoln High" }],
    };
    expect((await admin.request("/api/users", { method: "POST", body })).status).toBe(201);
    await signIn(agent, "new.lead@lincoln.example.org", "a long enough password");
    expect((await admin.request("/api/users", { method: "POST", body })).status).toBe(409);
    expect(
      (await admin.request("/api/users", { method: "POST", body: { ...body, email: "x@y.org", password: "short" } }))
        .status,
    ).toBe(400);
  });

  it("changes roles and disables accounts, ending their sessions", async () => {
    const coach = await signIn(agent, "coach@lincoln.example.org");
    const { users } = await (await admin.request("/api/users")).json();
    const id = users.find((u: { email: string }) => u.email === "coach@lincoln.example.org").id;
    expect(
      (
        await admin.request(`/api/users/${id}`, {
          method: "PATCH",
          body: { grants: [{ role: "student_tech_team", school: "/Schools/Lincoln High" }] },
        })
      ).status,
    ).toBe(204);
    expect((await coach.request("/api/session")).status).toBe(401);
    const again = await signIn(agent, "coach@lincoln.example.org");
    expect((await (await again.request("/api/session")).json()).grants).toEqual([
      { role: "student_tech_team", school: "/Schools/Lincoln High" },
    ]);
    expect((await admin.request(`/api/users/${id}`, { method: "PATCH", body: { disabled: true } })).status).toBe(204);
    expect((await again.request("/api/session")).status).toBe(401);
    await expect(signIn(agent, "coach@lincoln.example.org")).rejects.toThrow(/401/);
  });

  it("does not let an admin disable themselves", async () => {
    const me = (await (await admin.request("/api/session")).json()).user.id;
    expect((await admin.request(`/api/users/${me}`, { method: "PATCH", body: { disabled: true } })).status).toBe(400);
  });
});
