/** The console's bell on SQLite and on a real PostgreSQL server: filtered in SQL, before the limit. */
import { beforeEach, describe, expect, it } from "vitest";
import { notify } from "../../agent/services/notifications";
import { createTestAgent, lincoln, type TestAgent } from "../support/agent";
import { freshDatabaseEach, storageBackends } from "../support/databases";
import { type District, seedDistrict } from "../support/district";
import { bell, notifyWashingtonCrowd } from "../support/notifications";
import { type SignedIn, signIn } from "../support/staff";

describe.each(storageBackends())("notifications on $name", (backend) => {
  let agent: TestAgent;
  let district: District;

  freshDatabaseEach(backend, async (location) => {
    agent = await createTestAgent(location);
    return () => agent.close();
  });
  beforeEach(async () => {
    district = await seedDistrict(agent);
  });

  const read = (who: SignedIn, id: number | "all") =>
    who.request(`/api/notifications/${id}/read`, { method: "POST", body: {} });

  it("finds a school's notification behind hundreds for another school, and marks it and then all read", async () => {
    const at = new Date().toISOString();
    await notify(agent.store.db, { permission: "device.disable", school: lincoln, title: "Lincoln", body: "b", at });
    await notify(agent.store.db, { permission: "device.disable", school: null, title: "District", body: "b", at });
    await notifyWashingtonCrowd(agent.store.db, 520, at);
    const lead = await signIn(agent, district.staffEmail("school_it_lead"));
    const mine = await bell(lead);
    expect(mine).toMatchObject({ unread: 1, notifications: [{ title: "Lincoln", read: false }] });
    const id = mine.notifications[0]?.id ?? 0;
    expect((await read(lead, id)).status).toBe(200);
    expect(await bell(lead)).toMatchObject({ unread: 0, notifications: [{ id, read: true }] });

    const admin = await signIn(agent, district.districtAdminEmail);
    expect((await bell(admin)).unread).toBe(522);
    expect((await read(admin, "all")).status).toBe(200);
    expect((await read(admin, "all")).status).toBe(200);
    expect((await bell(admin)).unread).toBe(0);
    const washingtonLead = await signIn(agent, "lead@washington.example.org");
    expect((await bell(washingtonLead)).unread).toBe(520);
    expect((await read(washingtonLead, id)).status).toBe(404);
  });
});
