import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { consoleTicketDetail, consoleTicketPage, errorEnvelope } from "../../shared";
import { createTestAgent, lincoln, type TestAgent } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { addStaff, grant, type SignedIn, signIn } from "../support/staff";

let agent: TestAgent;
let district: District;
let lead: SignedIn;
let clock: Date;

beforeEach(async () => {
  clock = new Date("2026-11-23T08:00:00Z");
  agent = await createTestAgent(undefined, {}, () => clock);
  district = await seedDistrict(agent);
  lead = await signIn(agent, district.staffEmail("school_it_lead"));
});
afterEach(() => agent.close());

const page = async (session: SignedIn, query: string) => {
  const response = await session.request(`/api/tickets${query}`);
  expect(response.status).toBe(200);
  return consoleTicketPage.parse(await response.json());
};

describe("GET /api/tickets", () => {
  it("shows only the schools the person may read", async () => {
    const mine = await district.file("lincoln");
    await district.file("washington");
    const result = await page(lead, "");
    expect(result.tickets.map((t) => t.number)).toEqual([mine]);
    expect(result.total).toBe(1);
    const admin = await signIn(agent, district.districtAdminEmail);
    expect((await page(admin, "")).total).toBe(2);
  });

  it("lets a grant written with a trailing slash list and open its school's tickets", async () => {
    const number = await district.file("lincoln");
    await district.file("washington");
    await addStaff(agent, "slash@lincoln.example.org", [grant("school_it_lead", `${lincoln}/`)]);
    const slash = await signIn(agent, "slash@lincoln.example.org");
    expect((await page(slash, "")).tickets.map((t) => t.number)).toEqual([number]);
    const opened = await slash.request(`/api/tickets/${number}`);
    expect(opened.status).toBe(200);
    expect(consoleTicketDetail.parse(await opened.json()).number).toBe(number);
  });

  it("filters by queue, tier, status, category, school and age", async () => {
    const screen = await district.file("lincoln", { category: "screen" });
    clock = new Date(clock.getTime() + 5 * 86_400_000);
    lead = await signIn(agent, district.staffEmail("school_it_lead")); // the old session idled out
    const lost = await district.file("lincoln", { category: "lost_stolen" });
    const howTo = await district.file("lincoln", { category: "how_to" });
    expect((await page(lead, "?queue=school_it")).tickets.map((t) => t.number)).toEqual([lost]);
    expect((await page(lead, "?tier=1")).tickets.map((t) => t.number)).toEqual([howTo, screen]);
    expect((await page(lead, "?category=how_to")).tickets.map((t) => t.number)).toEqual([howTo]);
    expect((await page(lead, "?olderThanDays=3")).tickets.map((t) => t.number)).toEqual([screen]);
    expect((await page(lead, `?school=${encodeURIComponent("/Schools/Lincoln High")}`)).total).toBe(3);
    expect((await page(lead, "?status=resolved")).total).toBe(0);
  });

  it("finds a ticket by number, serial, asset tag or student email", async () => {
    const number = await district.file("lincoln");
    for (const q of [`%23${number}`, String(number), "lhs1234567", "LHS-0042", "student@exam"]) {
      expect(
        (await page(lead, `?q=${q}`)).tickets.map((t) => t.number),
        q,
      ).toEqual([number]);
    }
    expect((await page(lead, "?q=WMS7654321")).total).toBe(0);
    expect((await page(lead, "?q=%25")).total).toBe(0);
  });

  it("pages with a cursor in each sort order without gaps or repeats", async () => {
    const numbers: number[] = [];
    for (let i = 0; i < 7; i++) {
      numbers.push(await district.file("lincoln"));
      clock = new Date(clock.getTime() + 1000);
    }
    for (const [sort, expected] of [
      ["newest", [...numbers].reverse()],
      ["oldest", numbers],
      ["updated", [...numbers].reverse()],
    ] as const) {
      const seen: number[] = [];
      let cursor = "";
      do {
        const result = await page(lead, `?sort=${sort}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...result.tickets.map((t) => t.number));
        cursor = result.nextCursor ?? "";
      } while (cursor);
      expect(seen, sort).toEqual(expected);
    }
    expect((await lead.request("/api/tickets?cursor=nonsense")).status).toBe(400);
    expect((await lead.request("/api/tickets?sort=sideways")).status).toBe(400);
  });
});

describe("working a ticket", () => {
  it("assigns, escalates with a reason, comments, resolves and reopens, each on the timeline", async () => {
    const number = await district.file("lincoln");
    const tech = await signIn(agent, district.staffEmail("student_tech_team"));
    const assignees = await (
      await tech.request(`/api/assignees?school=${encodeURIComponent("/Schools/Lincoln High")}`)
    ).json();
    const me = assignees.assignees.find((a: { email: string }) => a.email === district.staffEmail("student_tech_team"));
    expect(
      (await tech.request(`/api/tickets/${number}/assign`, { method: "POST", body: { assigneeId: me.id } })).status,
    ).toBe(204);
    expect(
      (
        await tech.request(`/api/tickets/${number}/comments`, {
          method: "POST",
          body: { body: "Tried another charger." },
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await tech.request(`/api/tickets/${number}/escalate`, {
          method: "POST",
          body: { queue: "school_it", tier: 2, reason: "Battery swells" },
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await lead.request(`/api/tickets/${number}/escalate`, {
          method: "POST",
          body: { queue: "vendor", tier: 4, reason: "Warranty claim" },
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await lead.request(`/api/tickets/${number}/resolve`, {
          method: "POST",
          body: { resolution: "Battery replaced" },
        })
      ).status,
    ).toBe(204);
    expect(
      (await lead.request(`/api/tickets/${number}/resolve`, { method: "POST", body: { resolution: "again" } })).status,
    ).toBe(409);
    expect(
      (await lead.request(`/api/tickets/${number}/reopen`, { method: "POST", body: { reason: "Still swelling" } }))
        .status,
    ).toBe(204);

    const detail = consoleTicketDetail.parse(await (await lead.request(`/api/tickets/${number}`)).json());
    expect(detail).toMatchObject({
      status: "in_progress",
      queue: "vendor",
      tier: 4,
      assignee: { name: "student_tech_team" },
    });
    expect(detail.events.map((e) => e.kind)).toEqual([
      "created",
      "assigned",
      "comment",
      "escalated",
      "escalated",
      "resolved",
      "reopened",
    ]);
    expect(detail.events[3]?.detail).toMatchObject({
      fromQueue: "student_tech_team",
      toQueue: "school_it",
      reason: "Battery swells",
    });
    expect(detail.diagnostics.cpu?.cores).toBe(2);
    expect(detail.can).toEqual({ comment: true, assign: true, escalate: true, routeExternal: true, resolve: true });
  });

  it("refuses the student tech team an IT-lead action with a clear message", async () => {
    const number = await district.file("lincoln");
    const tech = await signIn(agent, district.staffEmail("student_tech_team"));
    const response = await tech.request(`/api/tickets/${number}/escalate`, {
      method: "POST",
      body: { queue: "district_repair", tier: 3, reason: "Cracked screen" },
    });
    expect(response.status).toBe(403);
    expect(errorEnvelope.parse(await response.json()).error.message).toMatch(/district repair or a vendor/);
    const detail = consoleTicketDetail.parse(await (await tech.request(`/api/tickets/${number}`)).json());
    expect(detail.can.routeExternal).toBe(false);
  });

  const move = (who: SignedIn, number: number, queue: string, tier: number) =>
    who.request(`/api/tickets/${number}/escalate`, { method: "POST", body: { queue, tier, reason: "Next step" } });
  const messageOf = async (response: Response) => errorEnvelope.parse(await response.json()).error.message;

  it("leaves a ticket sent to a vendor or district repair to those who may route it there", async () => {
    const number = await district.file("lincoln");
    expect((await move(lead, number, "vendor", 4)).status).toBe(204);
    const tech = await signIn(agent, district.staffEmail("student_tech_team"));
    for (const [queue, tier] of [
      ["student_tech_team", 1],
      ["school_it", 2],
    ] as const) {
      const back = await move(tech, number, queue, tier);
      expect(back.status, queue).toBe(403);
      expect(await messageOf(back)).toMatch(/district repair or a vendor/);
    }
    const detail = consoleTicketDetail.parse(await (await tech.request(`/api/tickets/${number}`)).json());
    expect(detail).toMatchObject({ queue: "vendor", tier: 4 });
    expect((await move(lead, number, "school_it", 2)).status).toBe(204);
  });

  it("refuses a tier that does not go with the queue", async () => {
    const number = await district.file("lincoln");
    for (const [queue, tier] of [
      ["coach", 2],
      ["student_tech_team", 4],
      ["vendor", 3],
      ["school_it", 1],
    ] as const) {
      const response = await move(lead, number, queue, tier);
      expect(response.status, `${queue}/${tier}`).toBe(400);
      expect(await messageOf(response)).toMatch(/^That queue works at tier \d, not tier \d\./);
    }
    const detail = consoleTicketDetail.parse(await (await lead.request(`/api/tickets/${number}`)).json());
    expect(detail).toMatchObject({ queue: "student_tech_team", tier: 1 });
    expect(detail.events.map((e) => e.kind)).toEqual(["created"]);
    expect((await move(lead, number, "coach", 1)).status).toBe(204);
  });

  it("asks for a resolved ticket to be reopened before it moves", async () => {
    const number = await district.file("lincoln");
    await lead.request(`/api/tickets/${number}/resolve`, { method: "POST", body: { resolution: "Restarted it" } });
    const response = await move(lead, number, "school_it", 2);
    expect(response.status).toBe(409);
    expect(await messageOf(response)).toBe(`Ticket #${number} is resolved. Reopen it before you move it.`);
  });

  it("puts a ticket in progress back to open when nobody is assigned any more", async () => {
    const number = await district.file("lincoln");
    const tech = await signIn(agent, district.staffEmail("student_tech_team"));
    const assign = (assigneeId: string | null) =>
      tech.request(`/api/tickets/${number}/assign`, { method: "POST", body: { assigneeId } });
    const users = await agent.store.db.selectFrom("staffUsers").select(["id", "email"]).execute();
    const me = users.find((u) => u.email === district.staffEmail("student_tech_team"));
    expect((await assign(me?.id ?? "")).status).toBe(204);
    const detailOf = async () => consoleTicketDetail.parse(await (await tech.request(`/api/tickets/${number}`)).json());
    expect(await detailOf()).toMatchObject({ status: "in_progress", assignee: { id: me?.id } });
    expect((await assign(null)).status).toBe(204);
    const detail = await detailOf();
    expect(detail.status).toBe("open");
    expect(detail.assignee).toBeUndefined();
  });

  it("checks bodies and assignees", async () => {
    const number = await district.file("lincoln");
    const noReason = await lead.request(`/api/tickets/${number}/escalate`, {
      method: "POST",
      body: { queue: "school_it", tier: 2, reason: "" },
    });
    expect(noReason.status).toBe(400);
    const washingtonLead = (
      await (await signIn(agent, district.districtAdminEmail)).request("/api/users").then((r) => r.json())
    ).users.find((u: { email: string }) => u.email === "lead@washington.example.org");
    const wrongSchool = await lead.request(`/api/tickets/${number}/assign`, {
      method: "POST",
      body: { assigneeId: washingtonLead.id },
    });
    expect(wrongSchool.status).toBe(400);
    expect((await lead.request("/api/tickets/abc")).status).toBe(400);
    expect((await lead.request("/api/tickets/99999")).status).toBe(404);
  });
});
