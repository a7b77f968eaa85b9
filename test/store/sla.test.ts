/**
 * The SLA check's queries and its yielding to people, on SQLite and on a real PostgreSQL server: the
 * same tickets are found quiet, a person whose change is being written when the check acts on the
 * same ticket keeps it (on PostgreSQL the check waits on the row and then finds it changed), a
 * ticket no one works is reminded about again after each further period, once each time, and each
 * queue's reminder reaches the people who work it.
 */
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { escalateUnworked, remindOverdue, runSlaCheck, slaActor } from "../../agent/services/sla";
import { quietTickets } from "../../agent/store/ticket-desk";
import type { StaffRole } from "../../shared";
import { createTestAgent, type TestAgent, washington } from "../support/agent";
import { type Backend, postgresBackend, sqliteBackend } from "../support/databases";
import { type District, seedDistrict } from "../support/district";
import { addStaff, grant, signIn } from "../support/staff";

/** While set, runs once inside the first person's change, after its update and before it commits. */
const inside = vi.hoisted(() => ({ change: undefined as undefined | (() => Promise<void>) }));

vi.mock("../../agent/store/tickets", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../agent/store/tickets")>();
  return {
    ...original,
    insertTicketEvent: async (...args: Parameters<typeof original.insertTicketEvent>) => {
      const hook = inside.change;
      if (hook && args[1].actorId) {
        inside.change = undefined;
        await hook();
      }
      return original.insertTicketEvent(...args);
    },
  };
});

const start = new Date("2026-03-02T08:00:00.000Z");
const hoursIn = (hours: number) => new Date(start.getTime() + hours * 3_600_000);
const rules = { tier1Hours: 24, overdueHours: 72, weekends: "count", timeZone: "UTC" } as const;

const backends: Backend[] = [sqliteBackend, postgresBackend(inject("postgresUrl"))];

describe.each(backends)("the SLA check on $name", (backend) => {
  let agent: TestAgent;
  let drop: () => Promise<void>;
  let district: District;
  let clock = start;

  beforeEach(async () => {
    clock = start;
    const created = await backend.create();
    drop = created.drop;
    agent = await createTestAgent(created.location, {}, () => clock);
    district = await seedDistrict(agent);
  });
  afterEach(async () => {
    inside.change = undefined;
    await agent.close();
    await drop();
  });

  async function post(role: StaffRole, path: string, body: unknown): Promise<void> {
    const response = await (await signIn(agent, district.staffEmail(role))).request(path, { method: "POST", body });
    expect(response.status, await response.clone().text()).toBe(204);
  }

  const ticket = (number: number) =>
    agent.store.db.selectFrom("tickets").selectAll().where("number", "=", number).executeTakeFirstOrThrow();
  const slaEntries = (number: number) =>
    agent.store.db
      .selectFrom("ticketEvents")
      .select("kind")
      .where("ticketNumber", "=", number)
      .where("actorName", "=", slaActor.name)
      .execute();
  const notifications = () => agent.store.db.selectFrom("notifications").select("title").execute();
  const slaNotes = async (number: number) =>
    (
      await agent.store.db
        .selectFrom("ticketEvents")
        .select("detail")
        .where("ticketNumber", "=", number)
        .where("actorName", "=", slaActor.name)
        .where("kind", "=", "comment")
        .orderBy("id")
        .execute()
    ).map((e) => (JSON.parse(e.detail) as { body: string }).body);
  const lincolnLead = "school_it_lead@lincoln.example.org";
  const washingtonLead = "lead@washington.example.org";
  /** The titles in the bell of the person signed in as `email`. */
  async function bell(email: string): Promise<string[]> {
    const response = await (await signIn(agent, email)).request("/api/notifications");
    return ((await response.json()) as { notifications: { title: string }[] }).notifications.map((n) => n.title);
  }
  /** Moves ticket `number` to `queue` as the person signed in as `email`. */
  async function move(email: string, number: number, queue: "building_admin", tier: number): Promise<void> {
    const response = await (await signIn(agent, email)).request(`/api/tickets/${number}/escalate`, {
      method: "POST",
      body: { queue, tier, reason: "The screen was broken on purpose" },
    });
    expect(response.status, await response.clone().text()).toBe(204);
  }

  it("finds the same quiet tickets and applies each rule once", async () => {
    const quiet = await district.file("lincoln");
    const commented = await district.file("lincoln");
    const withLead = await district.file("lincoln", { category: "broken_damaged" });
    const withVendor = await district.file("lincoln", { category: "broken_damaged" });
    const resolved = await district.file("lincoln");
    clock = hoursIn(10);
    await post("student_tech_team", `/api/tickets/${commented}/comments`, { body: "Bring it to the library" });
    await post("school_it_lead", `/api/tickets/${withVendor}/escalate`, { queue: "vendor", tier: 4, reason: "RMA" });
    await post("student_tech_team", `/api/tickets/${resolved}/resolve`, { resolution: "Fixed" });

    const found = await quietTickets(agent.store.db, {
      queues: ["student_tech_team"],
      quietSince: hoursIn(6).toISOString(),
      after: 0,
      limit: 10,
    });
    expect(found.map((t) => [t.number, t.lastWorkedAt])).toEqual([[quiet, null]]);
    const worked = await quietTickets(agent.store.db, {
      queues: ["student_tech_team"],
      quietSince: hoursIn(10).toISOString(),
      after: quiet,
      limit: 10,
    });
    expect(worked.map((t) => [t.number, t.lastWorkedAt])).toEqual([[commented, hoursIn(10).toISOString()]]);

    clock = hoursIn(30);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toEqual({
      escalated: [quiet],
      reminded: [],
      skipped: [],
      more: false,
    });
    clock = hoursIn(72);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toEqual({
      escalated: [commented],
      reminded: [withLead],
      skipped: [],
      more: false,
    });
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toEqual({
      escalated: [],
      reminded: [],
      skipped: [],
      more: false,
    });
    expect(await ticket(quiet)).toMatchObject({ queue: "school_it", tier: 2, status: "open", assigneeId: null });
    expect(await slaEntries(withLead)).toEqual([{ kind: "comment" }]);
    for (const untouched of [withVendor, resolved]) expect(await slaEntries(untouched)).toEqual([]);
    expect(await notifications()).toHaveLength(3);
  });

  it("lets a claim being written win over a move, the move writing nothing", async () => {
    const number = await district.file("lincoln");
    const tech = await agent.store.db
      .selectFrom("staffUsers")
      .select("id")
      .where("email", "=", district.staffEmail("student_tech_team"))
      .executeTakeFirstOrThrow();
    clock = hoursIn(30);
    const [read] = await quietTickets(agent.store.db, {
      queues: ["student_tech_team"],
      quietSince: hoursIn(6).toISOString(),
      after: 0,
      limit: 10,
    });
    if (!read) throw new Error("the ticket should be quiet");
    let move: Promise<boolean> | undefined;
    inside.change = async () => {
      move = escalateUnworked(agent.store.db, read, clock, "24 hours");
      // Long enough for the move to reach the row this change holds, and wait on it.
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    await post("student_tech_team", `/api/tickets/${number}/assign`, { assigneeId: tech.id });
    expect(await move).toBe(false);
    expect(await ticket(number)).toMatchObject({
      queue: "student_tech_team",
      status: "in_progress",
      assigneeId: tech.id,
    });
    expect(await slaEntries(number)).toEqual([]);
    expect(await notifications()).toEqual([]);
  });

  it("lets a comment being written win over a reminder", async () => {
    const number = await district.file("lincoln", { category: "broken_damaged" });
    clock = hoursIn(72);
    const [read] = await quietTickets(agent.store.db, {
      queues: ["school_it"],
      quietSince: start.toISOString(),
      after: 0,
      limit: 10,
    });
    if (!read) throw new Error("the ticket should be quiet");
    let reminder: Promise<boolean> | undefined;
    inside.change = async () => {
      reminder = remindOverdue(agent.store.db, read, clock, rules);
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    await post("school_it_lead", `/api/tickets/${number}/comments`, { body: "Ordering the part" });
    expect(await reminder).toBe(false);
    expect(await slaEntries(number)).toEqual([]);
    expect(await notifications()).toEqual([]);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [] });
  });

  it("reminds again after each further period no one works the ticket, counted from the last reminder", async () => {
    const number = await district.file("lincoln", { category: "broken_damaged" });
    const first = `Ticket #${number} has waited 3 days with no one working it`;
    const second = `Ticket #${number} has waited since Monday, March 2 and still no one has worked it`;
    clock = hoursIn(72);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [number] });
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [], skipped: [] });
    clock = hoursIn(143.9);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [] });
    clock = hoursIn(144);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [number] });
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [], skipped: [] });
    expect(await slaNotes(number)).toEqual([
      `${first}. TechDesk told the school's IT leads.`,
      `${second}. TechDesk told the school's IT leads again.`,
    ]);
    expect(await bell(lincolnLead)).toEqual([second, first]);

    // Two runs at once, as on two replicas, both reading the ticket before either reminds: one reminder.
    clock = hoursIn(216);
    const [read] = await quietTickets(agent.store.db, {
      queues: ["school_it"],
      quietSince: hoursIn(144).toISOString(),
      notedBy: { actorName: slaActor.name, kind: "comment" },
      after: 0,
      limit: 10,
    });
    if (!read) throw new Error("the ticket should be due its third reminder");
    expect(Number(read.notes)).toBe(2);
    expect(await remindOverdue(agent.store.db, read, clock, rules)).toBe(true);
    expect(await remindOverdue(agent.store.db, read, clock, rules)).toBe(false);
    clock = hoursIn(288);
    const both = await Promise.all([
      runSlaCheck(agent.store.db, rules, { now: clock }),
      runSlaCheck(agent.store.db, rules, { now: clock }),
    ]);
    expect(both.flatMap((run) => run.reminded)).toEqual([number]);
    expect((await slaNotes(number)).slice(2)).toEqual([
      `Ticket #${number} has waited since Monday, March 2 and still no one has worked it. TechDesk told the school's IT leads again.`,
      `Ticket #${number} has waited since Monday, March 2 and still no one has worked it. TechDesk told the school's IT leads again.`,
    ]);
    expect(await notifications()).toHaveLength(4);

    // Someone works it: the next reminder is a whole period later, and a first one again.
    clock = hoursIn(300);
    await post("school_it_lead", `/api/tickets/${number}/comments`, { body: "Ordered a screen" });
    clock = hoursIn(371.9);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [] });
    clock = hoursIn(372);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [number] });
    expect((await slaNotes(number)).at(-1)).toBe(`${first}. TechDesk told the school's IT leads.`);
  });

  it("says since when a ticket has waited, not a multiple of the period, after the job was stopped a while", async () => {
    const number = await district.file("lincoln", { category: "broken_damaged" });
    clock = hoursIn(72);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [number] });
    // No run for two weeks; the first one back reminds once, with the day the wait began.
    clock = hoursIn(400);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [number] });
    expect((await slaNotes(number)).at(-1)).toBe(
      `Ticket #${number} has waited since Monday, March 2 and still no one has worked it. TechDesk told the school's IT leads again.`,
    );
  });

  it("counts the wait for the next reminder in weekdays when weekends are skipped", async () => {
    // Monday 2 March 2026, 08:00 UTC.
    const number = await district.file("lincoln", { category: "broken_damaged" });
    const weekdays = { ...rules, weekends: "skip" } as const;
    clock = hoursIn(72);
    expect(await runSlaCheck(agent.store.db, weekdays, { now: clock })).toMatchObject({ reminded: [number] });
    // Thursday 08:00 plus 72 weekday hours is the next Tuesday 08:00, not Sunday.
    clock = new Date("2026-03-10T07:59:00.000Z");
    expect(await runSlaCheck(agent.store.db, weekdays, { now: clock })).toMatchObject({ reminded: [] });
    clock = new Date("2026-03-10T08:00:00.000Z");
    expect(await runSlaCheck(agent.store.db, weekdays, { now: clock })).toMatchObject({ reminded: [number] });
    expect((await slaNotes(number)).at(-1)).toBe(
      `Ticket #${number} has waited since Monday, March 2 and still no one has worked it. TechDesk told the school's IT leads again.`,
    );
  });

  it("calls out a ticket with the building admin to the school's building admins, or its IT leads without one", async () => {
    const lincolnTicket = await district.file("lincoln", { category: "broken_damaged" });
    const washingtonTicket = await district.file("washington", { category: "broken_damaged" });
    await move(lincolnLead, lincolnTicket, "building_admin", 2);
    await move(washingtonLead, washingtonTicket, "building_admin", 2);
    clock = hoursIn(72);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({
      reminded: [lincolnTicket, washingtonTicket],
    });
    const title = (n: number) => `Ticket #${n} has waited 3 days with no one working it`;
    expect(await slaNotes(lincolnTicket)).toEqual([
      `${title(lincolnTicket)}. TechDesk told the school's building admins.`,
    ]);
    expect(await slaNotes(washingtonTicket)).toEqual([
      `${title(washingtonTicket)}. TechDesk told the school's IT leads, as the school has no building admin.`,
    ]);
    expect(await bell(district.staffEmail("building_admin"))).toEqual([title(lincolnTicket)]);
    expect(await bell(lincolnLead)).toEqual([]);
    expect(await bell(washingtonLead)).toEqual([title(washingtonTicket)]);
  });

  it("calls out a coach's ticket to the school's coaches, or those who may resolve it without one", async () => {
    const lincolnTicket = await district.file("lincoln", { category: "how_to" });
    const washingtonTicket = await district.file("washington", { category: "how_to" });
    // A coach whose account is disabled is no one to tell.
    await addStaff(agent, "coach@washington.example.org", [grant("coach", washington)]);
    await agent.store.db
      .updateTable("staffUsers")
      .set({ disabled: 1 })
      .where("email", "=", "coach@washington.example.org")
      .execute();
    clock = hoursIn(72);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({
      reminded: [lincolnTicket, washingtonTicket],
    });
    const title = (n: number) => `Ticket #${n} has waited 3 days with no one working it`;
    expect(await slaNotes(lincolnTicket)).toEqual([`${title(lincolnTicket)}. TechDesk told the school's coaches.`]);
    expect(await slaNotes(washingtonTicket)).toEqual([
      `${title(washingtonTicket)}. TechDesk told those who may resolve its tickets, as the school has no coach.`,
    ]);
    expect(await bell(district.staffEmail("coach"))).toEqual([title(lincolnTicket)]);
    for (const email of [lincolnLead, district.staffEmail("student_tech_team")]) expect(await bell(email)).toEqual([]);
    expect(await bell(washingtonLead)).toEqual([title(washingtonTicket)]);

    // A coach for the whole district is the Washington ticket's coach too.
    await addStaff(agent, "coach@district.example.org", [grant("coach", "*")]);
    clock = hoursIn(144);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({
      reminded: [lincolnTicket, washingtonTicket],
    });
    expect((await slaNotes(washingtonTicket)).at(-1)).toBe(
      `Ticket #${washingtonTicket} has waited since Monday, March 2 and still no one has worked it. TechDesk told the school's coaches again.`,
    );
    expect(await bell("coach@district.example.org")).toEqual(
      expect.arrayContaining([
        `Ticket #${washingtonTicket} has waited since Monday, March 2 and still no one has worked it`,
      ]),
    );
    expect(await bell(washingtonLead)).toEqual([title(washingtonTicket)]);
  });
});
