import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { consoleTicketDetail, consoleTicketPage, errorEnvelope, type TicketEvent } from "../../shared";
import { createTestAgent, lincoln, type TestAgent } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { addStaff, grant, type SignedIn, signIn } from "../support/staff";

/** While set, runs once after an action reads its ticket and before it writes (a colleague's change). */
const between = vi.hoisted(() => ({ read: undefined as undefined | (() => Promise<void>) }));

vi.mock("../../agent/store/tickets", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../agent/store/tickets")>();
  return {
    ...original,
    findTicket: async (...args: Parameters<typeof original.findTicket>) => {
      const row = await original.findTicket(...args);
      const read = between.read;
      between.read = undefined;
      await read?.();
      return row;
    },
  };
});

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
afterEach(() => {
  between.read = undefined;
  return agent.close();
});

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

describe("acting on a ticket as it was shown", () => {
  type Action = "assign" | "escalate" | "resolve" | "reopen";
  const act = (who: SignedIn, number: number, action: Action | "comments", body: Record<string, unknown>) =>
    who.request(`/api/tickets/${number}/${action}`, { method: "POST", body });
  const detailOf = async (number: number) =>
    consoleTicketDetail.parse(await (await lead.request(`/api/tickets/${number}`)).json());
  /** A minute on: each change gets its own `updatedAt`. */
  const later = () => {
    clock = new Date(clock.getTime() + 60_000);
  };
  const idOf = async (email: string) =>
    (await agent.store.db.selectFrom("staffUsers").select("id").where("email", "=", email).executeTakeFirstOrThrow())
      .id;
  const colleague = () => signIn(agent, district.districtAdminEmail);
  const tech = () => signIn(agent, district.staffEmail("student_tech_team"));

  const cases: {
    action: Action;
    /** Brings a new ticket to where the action applies, before the lead opens it. */
    arrange?: (number: number) => Promise<Response>;
    /** What a colleague does once the lead has the ticket open. */
    meanwhile: (number: number) => Promise<Response>;
    body: () => Promise<Record<string, unknown>>;
    /** The ticket as the refusal describes it. */
    isNow: string;
    kind: TicketEvent["kind"];
  }[] = [
    {
      action: "assign",
      meanwhile: async (number) =>
        act(await tech(), number, "assign", { assigneeId: await idOf(district.staffEmail("student_tech_team")) }),
      body: async () => ({ assigneeId: await idOf(district.staffEmail("school_it_lead")) }),
      isNow: "in progress with the student tech team at tier 1, assigned to student_tech_team",
      kind: "assigned",
    },
    {
      action: "escalate",
      meanwhile: async (number) =>
        act(await colleague(), number, "escalate", { queue: "district_repair", tier: 3, reason: "Hinge at the depot" }),
      body: async () => ({ queue: "school_it", tier: 2, reason: "Needs the IT lead" }),
      isNow: "open with district repair at tier 3, unassigned",
      kind: "escalated",
    },
    {
      action: "resolve",
      meanwhile: async (number) =>
        act(await colleague(), number, "escalate", { queue: "district_repair", tier: 3, reason: "Hinge at the depot" }),
      body: async () => ({ resolution: "Tightened the hinge" }),
      isNow: "open with district repair at tier 3, unassigned",
      kind: "resolved",
    },
    {
      action: "reopen",
      arrange: (number) => act(lead, number, "resolve", { resolution: "Restarted it" }),
      // Even a comment: the lead has not read it yet.
      meanwhile: async (number) =>
        act(await colleague(), number, "comments", { body: "The student says it works now." }),
      body: async () => ({ reason: "It froze again" }),
      isNow: "resolved with the student tech team at tier 1, unassigned",
      kind: "reopened",
    },
  ];

  /** A new ticket, opened by the lead; then a colleague's change. Answers the versions before and after. */
  async function openedThenChanged(item: (typeof cases)[number]) {
    const number = await district.file("lincoln");
    later();
    if (item.arrange) expect((await item.arrange(number)).status).toBe(204);
    later();
    const shown = await detailOf(number);
    later();
    expect((await item.meanwhile(number)).status).toBe(204);
    later();
    return { number, shown, current: await detailOf(number) };
  }

  it.each(cases)("refuses $action on a ticket changed since it was opened, and writes nothing", async (item) => {
    const { number, shown, current } = await openedThenChanged(item);
    expect(current.updatedAt).not.toBe(shown.updatedAt);
    const body = await item.body();
    const stale = await act(lead, number, item.action, { ...body, expectedUpdatedAt: shown.updatedAt });
    expect(stale.status).toBe(409);
    expect(errorEnvelope.parse(await stale.json()).error).toMatchObject({
      code: "conflict",
      message: `Ticket #${number} changed since you opened it: it is now ${item.isNow}. Reload to see the change, then decide.`,
    });
    // Nothing written: the ticket and its timeline are as the colleague left them.
    expect(await detailOf(number)).toEqual(current);

    // Having seen the change, the lead can still do it.
    later();
    const fresh = await act(lead, number, item.action, { ...body, expectedUpdatedAt: current.updatedAt });
    expect(fresh.status).toBe(204);
    const after = await detailOf(number);
    expect(after.events.map((e) => e.kind)).toEqual([...current.events.map((e) => e.kind), item.kind]);
    expect(after.updatedAt).toBe(clock.toISOString());
  });

  it.each(cases)("does $action as before when the body names no version", async (item) => {
    const { number, current } = await openedThenChanged(item);
    expect((await act(lead, number, item.action, await item.body())).status).toBe(204);
    const after = await detailOf(number);
    expect(after.events.map((e) => e.kind)).toEqual([...current.events.map((e) => e.kind), item.kind]);
  });

  it("refuses a change made between the agent's read and its write, not only one made before", async () => {
    const number = await district.file("lincoln");
    later();
    const shown = await detailOf(number);
    // The resolve reads the ticket as shown; a colleague comments before it writes. The status the
    // resolve rests on is unchanged, so only the version, checked in the write itself, can refuse it.
    const admin = await colleague();
    between.read = async () => {
      later();
      expect((await act(admin, number, "comments", { body: "Ordering a new screen." })).status).toBe(204);
      later();
    };
    const response = await act(lead, number, "resolve", {
      resolution: "Screen reseated",
      expectedUpdatedAt: shown.updatedAt,
    });
    expect(between.read).toBeUndefined();
    expect(response.status).toBe(409);
    expect(errorEnvelope.parse(await response.json()).error.message).toBe(
      `Ticket #${number} changed since you opened it: it is now open with the student tech team at tier 1, unassigned. Reload to see the change, then decide.`,
    );
    const detail = await detailOf(number);
    expect(detail.status).toBe("open");
    expect(detail.events.map((e) => e.kind)).toEqual(["created", "comment"]);
  });

  it("goes ahead when all that happened since is a device note or TechDesk's reminder, which undo nothing", async () => {
    const number = await district.file("lincoln");
    later();
    const shown = await detailOf(number);
    // What a device action and the SLA check write: a timeline entry, and the ticket's updatedAt.
    for (const event of [
      { kind: "device" as const, actorId: await idOf(district.staffEmail("school_it_lead")), actorName: "IT lead" },
      { kind: "comment" as const, actorId: null, actorName: "TechDesk SLA check" },
    ]) {
      later();
      const at = clock.toISOString();
      await agent.store.db
        .insertInto("ticketEvents")
        .values({ ticketNumber: number, ...event, detail: "{}", createdAt: at })
        .execute();
      await agent.store.db.updateTable("tickets").set({ updatedAt: at }).where("number", "=", number).execute();
    }
    later();
    expect((await detailOf(number)).updatedAt).not.toBe(shown.updatedAt);
    const response = await act(lead, number, "resolve", {
      resolution: "Restarted it",
      expectedUpdatedAt: shown.updatedAt,
    });
    expect(response.status, await response.clone().text()).toBe(204);
    expect((await detailOf(number)).status).toBe("resolved");
  });

  it("reads the version as a time, whatever its precision", async () => {
    const number = await district.file("lincoln");
    later();
    const shown = await detailOf(number);
    const seconds = shown.updatedAt.replace(/\.\d{3}Z$/, "Z");
    expect(seconds).not.toBe(shown.updatedAt);
    const response = await act(lead, number, "resolve", { resolution: "Restarted it", expectedUpdatedAt: seconds });
    expect(response.status, await response.clone().text()).toBe(204);
  });

  it("refuses a version that is not a time", async () => {
    const number = await district.file("lincoln");
    const response = await act(lead, number, "resolve", { resolution: "Restarted it", expectedUpdatedAt: "yesterday" });
    expect(response.status).toBe(400);
    expect((await detailOf(number)).status).toBe("open");
  });
});
