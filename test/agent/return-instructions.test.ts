/** What a disabled Chromebook shows, set per school through Chrome Policy in the sandbox. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestAgent, lincoln, type TestAgent, washington } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { type SignedIn, signIn } from "../support/staff";

let agent: TestAgent;
let district: District;
let lead: SignedIn;
let admin: SignedIn;
beforeAll(async () => {
  agent = await createTestAgent(undefined, {}, undefined, { google: true });
  district = await seedDistrict(agent);
  lead = await signIn(agent, district.staffEmail("school_it_lead"));
  admin = await signIn(agent, district.districtAdminEmail);
});
afterAll(() => agent.close());

type Listing = { schools: { school: string; message?: string; inheritedFrom?: string }[] };

describe("/api/return-instructions", () => {
  it("lists the schools a person may disable devices in, with what their disabled devices show", async () => {
    const response = await lead.request("/api/return-instructions");
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect((JSON.parse(text) as Listing).schools.map((s) => s.school)).toEqual([lincoln]);
    const all = (await (await admin.request("/api/return-instructions")).json()) as Listing;
    expect(all.schools.map((s) => s.school)).toEqual(expect.arrayContaining([lincoln, washington]));
  });

  it("sets a school's message in Google, shows it back, and audits the change", async () => {
    const message = "This Chromebook belongs to Lincoln High. Please return it to room 101 or call 555-0100.";
    const set = await lead.request("/api/return-instructions", { method: "POST", body: { school: lincoln, message } });
    expect(set.status, await set.clone().text()).toBe(200);
    const listing = (await (await lead.request("/api/return-instructions")).json()) as Listing;
    expect(listing.schools.find((s) => s.school === lincoln)).toEqual({ school: lincoln, message });
    const sandbox = agent.google?.sandbox?.context.district;
    const stored = [...(sandbox?.policies.values() ?? [])].flatMap((byOu) => [...byOu.values()]);
    expect(JSON.stringify(stored)).toContain("room 101");
    const audit = await agent.store.db
      .selectFrom("auditLog")
      .selectAll()
      .where("action", "=", "policy.return_instructions")
      .execute();
    expect(audit).toEqual([expect.objectContaining({ school: lincoln, actorName: "school_it_lead" })]);
  });

  it("refuses another school's message, an empty one, and an OU that is not a school", async () => {
    expect(
      (await lead.request("/api/return-instructions", { method: "POST", body: { school: washington, message: "x" } }))
        .status,
    ).toBe(403);
    expect(
      (await lead.request("/api/return-instructions", { method: "POST", body: { school: lincoln, message: "  " } }))
        .status,
    ).toBe(400);
    expect(
      (
        await admin.request("/api/return-instructions", {
          method: "POST",
          body: { school: `${lincoln}/Students`, message: "Return it" },
        })
      ).status,
    ).toBe(404);
  });
});
