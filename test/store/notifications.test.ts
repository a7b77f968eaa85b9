/** The console's bell on SQLite and on a real PostgreSQL server: filtered in SQL, before the limit. */
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { notify } from "../../agent/services/device-actions";
import { createTestAgent, lincoln, type TestAgent, washington } from "../support/agent";
import { type Backend, postgresBackend, sqliteBackend } from "../support/databases";
import { type District, seedDistrict } from "../support/district";
import { type SignedIn, signIn } from "../support/staff";

const backends: Backend[] = [sqliteBackend, postgresBackend(inject("postgresUrl"))];
type Bell = { unread: number; notifications: { id: number; title: string; read: boolean }[] };

describe.each(backends)("notifications on $name", (backend) => {
  let agent: TestAgent;
  let drop: () => Promise<void>;
  let district: District;

  beforeEach(async () => {
    const created = await backend.create();
    drop = created.drop;
    agent = await createTestAgent(created.location);
    district = await seedDistrict(agent);
  });
  afterEach(async () => {
    await agent.close();
    await drop();
  });

  const bell = async (who: SignedIn) => (await (await who.request("/api/notifications")).json()) as Bell;
  const read = (who: SignedIn, id: number | "all") =>
    who.request(`/api/notifications/${id}/read`, { method: "POST", body: {} });

  it("finds a school's notification behind hundreds for another school, and marks it and then all read", async () => {
    const at = new Date().toISOString();
    await notify(agent.store.db, { permission: "device.disable", school: lincoln, title: "Lincoln", body: "b", at });
    await notify(agent.store.db, { permission: "device.disable", school: null, title: "District", body: "b", at });
    await agent.store.db
      .insertInto("notifications")
      .values(
        Array.from({ length: 520 }, (_, i) => ({
          permission: "device.disable",
          school: washington,
          title: `Washington ${i}`,
          body: "b",
          link: null,
          createdAt: at,
        })),
      )
      .execute();
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
