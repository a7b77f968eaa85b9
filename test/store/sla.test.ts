/**
 * The SLA check's queries and its yielding to people, on SQLite and on a real PostgreSQL server: the
 * same tickets are found quiet, and a person whose change is being written when the check acts on
 * the same ticket keeps it (on PostgreSQL the check waits on the row and then finds it changed).
 */
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { escalateUnworked, remindOverdue, runSlaCheck, slaActor } from "../../agent/services/sla";
import { quietTickets } from "../../agent/store/ticket-desk";
import type { StaffRole } from "../../shared";
import { createTestAgent, type TestAgent } from "../support/agent";
import { type Backend, postgresBackend, sqliteBackend } from "../support/databases";
import { type District, seedDistrict } from "../support/district";
import { signIn } from "../support/staff";

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
      reminder = remindOverdue(agent.store.db, read, clock, "3 days");
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    await post("school_it_lead", `/api/tickets/${number}/comments`, { body: "Ordering the part" });
    expect(await reminder).toBe(false);
    expect(await slaEntries(number)).toEqual([]);
    expect(await notifications()).toEqual([]);
    expect(await runSlaCheck(agent.store.db, rules, { now: clock })).toMatchObject({ reminded: [] });
  });
});
