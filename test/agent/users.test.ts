import { describe, expect, it } from "vitest";
import type { TestAgent } from "../support/agent";
import { seededAgentEach } from "../support/fresh-agent";
import { type SignedIn, signIn } from "../support/staff";

let agent: TestAgent;
let admin: SignedIn;
seededAgentEach(
  (district) => district.districtAdminEmail,
  (seeded) => {
    ({ agent, signedIn: admin } = seeded);
  },
);

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

  it("writes an audit entry for every account change, naming who did it, to whom, and what changed", async () => {
    const secret = "a long enough password";
    const email = "new.lead@lincoln.example.org";
    const lead = [{ role: "school_it_lead", school: "/Schools/Lincoln High" }];
    const created = await admin.request("/api/users", {
      method: "POST",
      body: { email, displayName: "New Lead", password: secret, grants: lead },
    });
    const { id } = await created.json();
    const patch = (body: unknown) => admin.request(`/api/users/${id}`, { method: "PATCH", body });
    const promoted = [{ role: "district_admin", school: "*" }];
    expect((await patch({ grants: promoted })).status).toBe(204);
    expect((await patch({ password: "another long password" })).status).toBe(204);
    expect((await patch({ displayName: "Pat Lead", disabled: true })).status).toBe(204);
    expect((await patch({ disabled: false })).status).toBe(204);

    const { entries } = await (await admin.request("/api/audit?action=user.")).json();
    const target = { userId: id, email };
    expect(entries.map((e: { action: string }) => e.action).reverse()).toEqual([
      "user.added",
      "user.roles_changed",
      "user.password_reset",
      "user.renamed",
      "user.disabled",
      "user.enabled",
    ]);
    for (const entry of entries) expect(entry.actorName).toBe("admin");
    const [added, roles, reset, renamed, disabled, enabled] = [...entries].reverse();
    expect(added).toMatchObject({ after: { ...target, displayName: "New Lead", grants: lead } });
    expect(roles).toMatchObject({ before: { ...target, grants: lead }, after: { ...target, grants: promoted } });
    expect(reset).toMatchObject({ after: target });
    expect(renamed).toMatchObject({
      before: { ...target, displayName: "New Lead" },
      after: { ...target, displayName: "Pat Lead" },
    });
    expect(disabled).toMatchObject({ before: { ...target, disabled: false }, after: { ...target, disabled: true } });
    expect(enabled).toMatchObject({ before: { ...target, disabled: true }, after: { ...target, disabled: false } });
    // Neither a password nor its hash ever reaches the log.
    const written = JSON.stringify(await agent.store.db.selectFrom("auditLog").selectAll().execute());
    expect(written).not.toMatch(/long enough password|another long password|scrypt/);
    const adminId = (await (await admin.request("/api/session")).json()).user.id;
    const actors = await agent.store.db
      .selectFrom("auditLog")
      .select("actorId")
      .where("action", "like", "user.%")
      .execute();
    expect(actors).toEqual(Array(6).fill({ actorId: adminId }));
    expect((await (await admin.request("/api/audit/verify")).json()).ok).toBe(true);
  });

  it("writes no audit entry for a change it refuses", async () => {
    const me = (await (await admin.request("/api/session")).json()).user.id;
    expect((await admin.request(`/api/users/${me}`, { method: "PATCH", body: { disabled: true } })).status).toBe(400);
    expect((await (await admin.request("/api/audit?action=user.")).json()).entries).toEqual([]);
  });

  it("does not let an admin disable themselves", async () => {
    const me = (await (await admin.request("/api/session")).json()).user.id;
    expect((await admin.request(`/api/users/${me}`, { method: "PATCH", body: { disabled: true } })).status).toBe(400);
  });
});
