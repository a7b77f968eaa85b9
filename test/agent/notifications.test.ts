/** The console's bell: notifications reach whoever holds the permission in the school, read per person. */
import { beforeEach, describe, expect, it } from "vitest";
import { notify } from "../../agent/services/notifications";
import { lincoln, type TestAgent, washington } from "../support/agent";
import type { District } from "../support/district";
import { seededAgentEach } from "../support/fresh-agent";
import { bell, notifyWashingtonCrowd } from "../support/notifications";
import { type SignedIn, signIn } from "../support/staff";

let agent: TestAgent;
let district: District;
let lead: SignedIn;

seededAgentEach(
  (district) => district.staffEmail("school_it_lead"),
  (seeded) => {
    ({ agent, district, signedIn: lead } = seeded);
  },
);
beforeEach(async () => {
  const at = new Date().toISOString();
  await notify(agent.store.db, {
    permission: "device.disable",
    school: `${lincoln}/Students`,
    title: "Lincoln one",
    body: "b",
    at,
  });
  await notify(agent.store.db, {
    permission: "device.disable",
    school: washington,
    title: "Washington one",
    body: "b",
    at,
  });
  await notify(agent.store.db, { permission: "device.disable", school: null, title: "District one", body: "b", at });
});

describe("/api/notifications", () => {
  it("shows each person what their permissions and schools cover", async () => {
    expect((await bell(lead)).notifications.map((n) => n.title)).toEqual(["Lincoln one"]);
    const washingtonLead = await signIn(agent, "lead@washington.example.org");
    expect((await bell(washingtonLead)).notifications.map((n) => n.title)).toEqual(["Washington one"]);
    const admin = await signIn(agent, district.districtAdminEmail);
    expect((await bell(admin)).unread).toBe(3);
    const techTeam = await signIn(agent, district.staffEmail("student_tech_team"));
    expect((await bell(techTeam)).notifications).toEqual([]);
  });

  it("marks one or all read, for this person only", async () => {
    const admin = await signIn(agent, district.districtAdminEmail);
    const [first] = (await bell(admin)).notifications;
    expect((await admin.request(`/api/notifications/${first?.id}/read`, { method: "POST", body: {} })).status).toBe(
      200,
    );
    expect((await bell(admin)).unread).toBe(2);
    expect((await bell(lead)).unread).toBe(1);
    await admin.request("/api/notifications/all/read", { method: "POST", body: {} });
    expect((await bell(admin)).unread).toBe(0);
    expect((await bell(lead)).unread).toBe(1);
  });

  it("refuses a notification that is not the person's, and a bad id", async () => {
    const admin = await signIn(agent, district.districtAdminEmail);
    const washingtonNote = (await bell(admin)).notifications.find((n) => n.title === "Washington one");
    expect(
      (await lead.request(`/api/notifications/${washingtonNote?.id}/read`, { method: "POST", body: {} })).status,
    ).toBe(404);
    expect((await lead.request("/api/notifications/abc/read", { method: "POST", body: {} })).status).toBe(400);
  });

  it("finds a person's notifications behind hundreds for another school, and marks an older one read", async () => {
    const at = new Date().toISOString();
    await notify(agent.store.db, {
      permission: "device.disable",
      school: lincoln,
      title: "Lincoln old",
      body: "b",
      at,
    });
    await notifyWashingtonCrowd(agent.store.db, 520, at);
    const before = await bell(lead);
    expect(before.unread).toBe(2);
    expect(before.notifications.map((n) => n.title)).toEqual(["Lincoln old", "Lincoln one"]);
    const old = before.notifications[0];
    expect((await lead.request(`/api/notifications/${old?.id}/read`, { method: "POST", body: {} })).status).toBe(200);
    const after = await bell(lead);
    expect(after.unread).toBe(1);
    expect(after.notifications.find((n) => n.id === old?.id)?.read).toBe(true);
    await lead.request("/api/notifications/all/read", { method: "POST", body: {} });
    expect((await bell(lead)).unread).toBe(0);
    const washingtonLead = await signIn(agent, "lead@washington.example.org");
    expect((await bell(washingtonLead)).unread).toBe(521);
  });
});
