/**
 * SLA escalation on a clock the test moves: a student tech team ticket no one works moves to the
 * school IT lead, a ticket waiting on the IT lead or a coach is called out, and again after each further
 * period no one works it, district repair and vendor tickets are left alone, and a person acting at
 * the same moment wins.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigError, loadConfig } from "../../agent/config";
import { hoursBefore, period, runSlaCheck, slaActor } from "../../agent/services/sla";
import { consoleTicketDetail, jobsPage, type StaffRole } from "../../shared";
import { createTestAgent, type TestAgent } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { type SignedIn, signIn } from "../support/staff";

/** While set, runs once after the SLA check reads a batch and before it acts on it. */
const between = vi.hoisted(() => ({ read: undefined as undefined | ((numbers: number[]) => Promise<void>) }));

vi.mock("../../agent/store/ticket-desk", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../agent/store/ticket-desk")>();
  return {
    ...original,
    quietTickets: async (...args: Parameters<typeof original.quietTickets>) => {
      const rows = await original.quietTickets(...args);
      const read = between.read;
      if (read && rows.length) {
        between.read = undefined;
        await read(rows.map((r) => r.number));
      }
      return rows;
    },
  };
});

const start = new Date("2026-03-02T08:00:00.000Z");
let clock = start;
/** Moves the agent's clock to `hours` after the start. */
const setClock = (hours: number) => {
  clock = new Date(start.getTime() + hours * 3_600_000);
};

describe("SLA escalation on an agent", () => {
  let agent: TestAgent;
  let district: District;
  beforeEach(async () => {
    clock = start;
    // Clock hours here: the weekend rule has its own tests below.
    agent = await createTestAgent(undefined, { SLA_WEEKENDS: "count" }, () => clock, { sla: true });
    district = await seedDistrict(agent);
  });
  afterEach(async () => {
    between.read = undefined;
    await agent.close();
  });

  /** Signs in now, on the agent's clock (a session from hours ago has ended). */
  const as = (role: StaffRole | "washington_lead"): Promise<SignedIn> =>
    signIn(agent, role === "washington_lead" ? "lead@washington.example.org" : district.staffEmail(role));

  async function idOf(role: StaffRole): Promise<string> {
    const user = await agent.store.db
      .selectFrom("staffUsers")
      .select("id")
      .where("email", "=", district.staffEmail(role))
      .executeTakeFirstOrThrow();
    return user.id;
  }

  async function post(role: StaffRole, path: string, body: unknown): Promise<void> {
    const response = await (await as(role)).request(path, { method: "POST", body });
    expect(response.status, await response.clone().text()).toBe(204);
  }

  async function detailOf(number: number) {
    const response = await (await as("school_it_lead")).request(`/api/tickets/${number}`);
    return consoleTicketDetail.parse(await response.json());
  }

  async function bell(role: StaffRole | "washington_lead"): Promise<string[]> {
    const response = await (await as(role)).request("/api/notifications");
    return ((await response.json()) as { notifications: { title: string }[] }).notifications.map((n) => n.title);
  }

  /** Runs the job as its schedule would, and answers what it recorded. */
  async function runJob() {
    const outcome = await agent.jobs.run("sla-escalation", "schedule");
    expect(outcome).toMatchObject({ ran: true, status: "succeeded" });
    const run = await agent.store.db
      .selectFrom("jobRuns")
      .select("detail")
      .where("job", "=", "sla-escalation")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    return JSON.parse(run.detail) as { escalated: number[]; reminded: number[]; skipped: number[]; more: boolean };
  }

  const slaEvents = async (number: number) =>
    (await detailOf(number)).events.filter((e) => e.actorName === slaActor.name);

  describe("rule 1: a student tech team ticket no one works", () => {
    it("moves to the school IT lead, unassigned, says why, and tells that school's IT leads once", async () => {
      const number = await district.file("lincoln");
      setClock(1);
      await post("student_tech_team", `/api/tickets/${number}/assign`, { assigneeId: await idOf("student_tech_team") });
      // 24 hours after the claim, less a minute: not yet.
      setClock(25 - 1 / 60);
      expect(await runJob()).toMatchObject({ escalated: [], reminded: [] });
      expect(await detailOf(number)).toMatchObject({ queue: "student_tech_team", status: "in_progress" });

      setClock(25);
      expect(await runJob()).toMatchObject({ escalated: [number], reminded: [], skipped: [], more: false });
      const detail = await detailOf(number);
      expect(detail).toMatchObject({ queue: "school_it", tier: 2, status: "open" });
      expect(detail.assignee).toBeUndefined();
      const moved = detail.events.at(-1);
      expect(moved).toMatchObject({
        kind: "escalated",
        actorName: "TechDesk SLA check",
        detail: {
          fromQueue: "student_tech_team",
          fromTier: 1,
          toQueue: "school_it",
          toTier: 2,
          reason:
            "No one worked this ticket for 24 hours. It is no longer assigned to student_tech_team, so an IT lead can pick it up.",
        },
      });
      const title = `Ticket #${number} moved to you: no one worked it for 24 hours`;
      expect(await bell("school_it_lead")).toEqual([title]);
      expect(await bell("district_admin")).toEqual([title]);
      for (const role of ["student_tech_team", "coach", "building_admin", "washington_lead"] as const)
        expect(await bell(role)).toEqual([]);

      // Run again, and again later: nothing moves or is told twice.
      expect(await runJob()).toMatchObject({ escalated: [], reminded: [], skipped: [] });
      setClock(26);
      expect(await runJob()).toMatchObject({ escalated: [], reminded: [] });
      expect(await slaEvents(number)).toHaveLength(1);
      expect(await bell("school_it_lead")).toEqual([title]);
    });

    it("counts from the last thing a person did, a comment too, and leaves resolved tickets alone", async () => {
      const commented = await district.file("lincoln");
      const resolved = await district.file("lincoln");
      setClock(20);
      await post("student_tech_team", `/api/tickets/${commented}/comments`, {
        body: "Asked the student to bring it in",
      });
      await post("student_tech_team", `/api/tickets/${resolved}/resolve`, { resolution: "Restarted it" });
      setClock(30);
      expect(await runJob()).toMatchObject({ escalated: [] });
      setClock(44);
      expect(await runJob()).toMatchObject({ escalated: [commented] });
      expect((await detailOf(commented)).events.at(-1)?.detail.reason).toBe("No one worked this ticket for 24 hours.");
      setClock(500);
      expect(await runJob()).toMatchObject({ escalated: [] });
      expect(await detailOf(resolved)).toMatchObject({ queue: "student_tech_team", status: "resolved" });
    });

    it("follows SLA_TIER1_HOURS", async () => {
      await agent.close();
      clock = start;
      agent = await createTestAgent(undefined, { SLA_TIER1_HOURS: "4", SLA_WEEKENDS: "count" }, () => clock, {
        sla: true,
      });
      district = await seedDistrict(agent);
      const number = await district.file("lincoln");
      setClock(3.9);
      expect(await runJob()).toMatchObject({ escalated: [] });
      setClock(4);
      expect(await runJob()).toMatchObject({ escalated: [number] });
      expect((await detailOf(number)).events.at(-1)?.detail.reason).toBe("No one worked this ticket for 4 hours.");
    });
  });

  describe("rule 2: a ticket waiting on the IT lead or a coach", () => {
    it("is noted and called out to those who work its queue, and again after each further period", async () => {
      const damaged = await district.file("lincoln", { category: "broken_damaged" });
      const howTo = await district.file("lincoln", { category: "how_to" });
      expect((await detailOf(damaged)).queue).toBe("school_it");
      expect((await detailOf(howTo)).queue).toBe("coach");
      setClock(71.9);
      expect(await runJob()).toMatchObject({ escalated: [], reminded: [] });

      setClock(72);
      expect(await runJob()).toMatchObject({ escalated: [], reminded: [damaged, howTo] });
      expect(await detailOf(damaged)).toMatchObject({ queue: "school_it", tier: 2, status: "open" });
      const itTitle = `Ticket #${damaged} has waited 3 days with no one working it`;
      const coachTitle = `Ticket #${howTo} has waited 3 days with no one working it`;
      expect((await slaEvents(damaged)).map((e) => [e.kind, e.detail.body])).toEqual([
        ["comment", `${itTitle}. TechDesk told the school's IT leads.`],
      ]);
      expect((await slaEvents(howTo)).map((e) => e.detail.body)).toEqual([
        `${coachTitle}. TechDesk told the school's coaches.`,
      ]);
      expect(await bell("school_it_lead")).toEqual([itTitle]);
      expect(await bell("coach")).toEqual([coachTitle]);
      expect(await bell("building_admin")).toEqual([]);
      expect(await bell("washington_lead")).toEqual([]);

      // Not again until it has waited another 72 hours from the reminder; then again, saying so.
      setClock(72.25);
      expect(await runJob()).toMatchObject({ reminded: [] });
      setClock(143.9);
      expect(await runJob()).toMatchObject({ reminded: [] });
      setClock(144);
      expect(await runJob()).toMatchObject({ reminded: [damaged, howTo] });
      const itAgain = `Ticket #${damaged} has waited since Monday, March 2 and still no one has worked it`;
      expect((await slaEvents(damaged)).map((e) => e.detail.body)).toEqual([
        `${itTitle}. TechDesk told the school's IT leads.`,
        `${itAgain}. TechDesk told the school's IT leads again.`,
      ]);
      expect(await bell("school_it_lead")).toEqual([itAgain, itTitle]);

      // Someone works it; once it has been quiet for another 72 hours, a first reminder again.
      setClock(150);
      await post("school_it_lead", `/api/tickets/${damaged}/comments`, { body: "Ordered a screen" });
      await post("coach", `/api/tickets/${howTo}/resolve`, { resolution: "Showed them how to share a doc" });
      setClock(221.9);
      expect(await runJob()).toMatchObject({ reminded: [] });
      setClock(222);
      expect(await runJob()).toMatchObject({ reminded: [damaged] });
      expect(await slaEvents(damaged)).toHaveLength(3);
      expect((await bell("school_it_lead")).filter((t) => t === itTitle)).toHaveLength(2);
    });

    it("gives a ticket it moved up the whole period from the move, not a reminder with it", async () => {
      const number = await district.file("lincoln");
      setClock(80);
      expect(await runJob()).toMatchObject({ escalated: [number], reminded: [] });
      expect((await detailOf(number)).events.at(-1)?.detail.reason).toBe("No one worked this ticket for 24 hours.");
      setClock(151.9);
      expect(await runJob()).toMatchObject({ escalated: [], reminded: [] });
      setClock(152);
      expect(await runJob()).toMatchObject({ escalated: [], reminded: [number] });
      expect((await slaEvents(number)).map((e) => e.kind)).toEqual(["escalated", "comment"]);
    });
  });

  describe("rule 3: district repair and vendors", () => {
    it("leaves their tickets alone", async () => {
      const repair = await district.file("lincoln");
      const vendor = await district.file("lincoln", { category: "broken_damaged" });
      await post("school_it_lead", `/api/tickets/${repair}/escalate`, {
        queue: "district_repair",
        tier: 3,
        reason: "Hinge",
      });
      await post("school_it_lead", `/api/tickets/${vendor}/escalate`, { queue: "vendor", tier: 4, reason: "Warranty" });
      setClock(24 * 30);
      expect(await runJob()).toMatchObject({ escalated: [], reminded: [], skipped: [] });
      expect(await slaEvents(repair)).toEqual([]);
      expect(await slaEvents(vendor)).toEqual([]);
      expect(await bell("school_it_lead")).toEqual([]);
    });
  });

  describe("a person working the ticket at the same moment", () => {
    it("wins over a move: the job skips the ticket and the claim stands", async () => {
      const number = await district.file("lincoln");
      const tech = await idOf("student_tech_team");
      setClock(30);
      between.read = async () => {
        await post("student_tech_team", `/api/tickets/${number}/assign`, { assigneeId: tech });
      };
      expect(await runJob()).toMatchObject({ escalated: [], skipped: [number] });
      const detail = await detailOf(number);
      expect(detail).toMatchObject({ queue: "student_tech_team", status: "in_progress", assignee: { id: tech } });
      expect(await slaEvents(number)).toEqual([]);
      expect(await bell("school_it_lead")).toEqual([]);
      // The claim is fresh work: the next run leaves the ticket with the tech team.
      expect(await runJob()).toMatchObject({ escalated: [], skipped: [] });
    });

    it("wins over a reminder, even when all they did was comment", async () => {
      const number = await district.file("lincoln", { category: "broken_damaged" });
      setClock(72);
      between.read = async () => {
        await post("school_it_lead", `/api/tickets/${number}/comments`, { body: "On it" });
      };
      expect(await runJob()).toMatchObject({ reminded: [], skipped: [number] });
      expect(await slaEvents(number)).toEqual([]);
      expect(await bell("school_it_lead")).toEqual([]);
      expect(await runJob()).toMatchObject({ reminded: [], skipped: [] });
    });
  });

  describe("bounded work", () => {
    it("works in batches, reports its progress, and leaves a backlog past its limit to the next run", async () => {
      const numbers: number[] = [];
      for (let i = 0; i < 5; i++) numbers.push(await district.file("lincoln"));
      setClock(25);
      const progress = vi.fn(async (_detail: Record<string, unknown>) => {});
      const rules = { tier1Hours: 24, overdueHours: 72, weekends: "count", timeZone: "UTC" } as const;
      const first = await runSlaCheck(agent.store.db, rules, { now: clock, batchSize: 2, maxTickets: 3, progress });
      expect(first).toMatchObject({ escalated: numbers.slice(0, 3), more: true });
      expect(progress.mock.calls.map(([d]) => d.escalated)).toEqual([2, 3, 3]);
      const second = await runSlaCheck(agent.store.db, rules, { now: clock, batchSize: 2, maxTickets: 3 });
      expect(second).toMatchObject({ escalated: numbers.slice(3), more: false });
      const third = await runSlaCheck(agent.store.db, rules, { now: clock, batchSize: 2, maxTickets: 2 });
      expect(third).toMatchObject({ escalated: [], reminded: [], more: false });
    });
  });

  describe("the SLA escalation job", () => {
    it("is listed with the other jobs and runs on demand", async () => {
      const number = await district.file("lincoln");
      setClock(24);
      const admin = await signIn(agent, district.districtAdminEmail);
      const page = jobsPage.parse(await (await admin.request("/api/jobs")).json());
      expect(page.jobs.find((j) => j.name === "sla-escalation")).toMatchObject({
        title: "SLA escalation",
        schedule: "*/15 * * * *",
        description:
          "Moves student tech team tickets no one has worked for 24 hours to the school IT lead, and tells the IT lead, the coaches or the building admin about a ticket of theirs no one has worked for 3 days, and again for each further 3 days.",
      });
      const started = await admin.request("/api/jobs/sla-escalation/run", { method: "POST", body: {} });
      expect(started.status, await started.clone().text()).toBe(202);
      await expect
        .poll(async () => {
          const jobs = jobsPage.parse(await (await admin.request("/api/jobs")).json()).jobs;
          return jobs.find((j) => j.name === "sla-escalation")?.runs[0];
        })
        .toMatchObject({ trigger: "manual", status: "succeeded", detail: { escalated: [number], reminded: [] } });
    });
  });
});

describe("weekends, skipped by default", () => {
  let agent: TestAgent;
  afterEach(() => agent.close());

  it("moves a ticket filed on Friday afternoon on Monday afternoon, across a change of clocks", async () => {
    // Chicago: Friday 6 March 2026, 14:00 CST; the clocks go forward on Sunday the 8th.
    agent = await createTestAgent(undefined, { JOBS_TIMEZONE: "America/Chicago" }, () => clock, { sla: true });
    const district = await seedDistrict(agent);
    clock = new Date("2026-03-06T20:00:00.000Z");
    const number = await district.file("lincoln");
    const run = async () => {
      const outcome = await agent.jobs.run("sla-escalation", "schedule");
      expect(outcome).toMatchObject({ ran: true, status: "succeeded" });
      const row = await agent.store.db
        .selectFrom("jobRuns")
        .select("detail")
        .where("job", "=", "sla-escalation")
        .orderBy("id", "desc")
        .executeTakeFirstOrThrow();
      return (JSON.parse(row.detail) as { escalated: number[] }).escalated;
    };
    // Saturday afternoon: 24 clock hours, 10 of them on Friday.
    clock = new Date("2026-03-07T20:00:00.000Z");
    expect(await run()).toEqual([]);
    // Monday 13:59 CDT: 23 hours 59 minutes of weekdays.
    clock = new Date("2026-03-09T18:59:00.000Z");
    expect(await run()).toEqual([]);
    clock = new Date("2026-03-09T19:00:00.000Z");
    expect(await run()).toEqual([number]);
    const admin = await signIn(agent, district.staffEmail("district_admin"));
    const detail = consoleTicketDetail.parse(await (await admin.request(`/api/tickets/${number}`)).json());
    expect(detail.events.at(-1)?.detail.reason).toBe("No one worked this ticket for 24 weekday hours.");
    const jobs = jobsPage.parse(await (await admin.request("/api/jobs")).json()).jobs;
    expect(jobs.find((j) => j.name === "sla-escalation")?.description).toBe(
      "Moves student tech team tickets no one has worked for 24 weekday hours to the school IT lead, and tells the IT lead, the coaches or the building admin about a ticket of theirs no one has worked for 3 weekdays, and again for each further 3 weekdays.",
    );
  });

  it("counts back over weekends in the district's time zone, whatever its offset", () => {
    const skip = (timeZone: string) => ({ weekends: "skip", timeZone }) as const;
    // Monday 10:00 in Kolkata (UTC+5:30) less 24 weekday hours: Friday 10:00 there.
    expect(hoursBefore(new Date("2026-03-09T04:30:00.000Z"), 24, skip("Asia/Kolkata")).toISOString()).toBe(
      "2026-03-06T04:30:00.000Z",
    );
    // Monday 00:10 in Kolkata less 1 hour: Friday 23:10 there.
    expect(hoursBefore(new Date("2026-03-08T18:40:00.000Z"), 1, skip("Asia/Kolkata")).toISOString()).toBe(
      "2026-03-06T17:40:00.000Z",
    );
    // Wednesday less 72 weekday hours in UTC: the Wednesday before, plus two weekend days back.
    expect(hoursBefore(new Date("2026-03-11T12:00:00.000Z"), 72, skip("UTC")).toISOString()).toBe(
      "2026-03-06T12:00:00.000Z",
    );
    // Counted on a Saturday: the whole weekend so far is left out.
    expect(hoursBefore(new Date("2026-03-07T12:00:00.000Z"), 2, skip("UTC")).toISOString()).toBe(
      "2026-03-06T22:00:00.000Z",
    );
    expect(
      hoursBefore(new Date("2026-03-07T12:00:00.000Z"), 2, { weekends: "count", timeZone: "UTC" }).toISOString(),
    ).toBe("2026-03-07T10:00:00.000Z");
  });

  it("names the rule's period with weekdays when weekends are skipped", () => {
    expect([1, 24, 72].map((h) => period(h, "skip"))).toEqual(["1 weekday hour", "24 weekday hours", "3 weekdays"]);
    expect([1, 24, 72].map((h) => period(h, "count"))).toEqual(["1 hour", "24 hours", "3 days"]);
  });
});

describe("configuration", () => {
  const valid = { ENROLLMENT_TOKENS: "a-token-of-sixteen-chars", STAFF_API_TOKEN: "x".repeat(24) };

  it("checks every quarter hour, moves tier 1 after 24 hours and calls out after 72 by default", () => {
    expect(loadConfig(valid).jobs).toMatchObject({
      slaCron: "*/15 * * * *",
      slaTier1Hours: 24,
      slaOverdueHours: 72,
      slaWeekends: "skip",
    });
    expect(loadConfig({ ...valid, SLA_WEEKENDS: "count" }).jobs.slaWeekends).toBe("count");
    expect(
      loadConfig({ ...valid, JOB_SLA_CRON: "*/5 * * * *", SLA_TIER1_HOURS: "8", SLA_OVERDUE_HOURS: "48" }).jobs,
    ).toMatchObject({ slaCron: "*/5 * * * *", slaTier1Hours: 8, slaOverdueHours: 48 });
  });

  it.each([
    [{ JOB_SLA_CRON: "every 15 minutes" }, /JOB_SLA_CRON: must be a cron expression/],
    [{ SLA_TIER1_HOURS: "0" }, /SLA_TIER1_HOURS/],
    [{ SLA_TIER1_HOURS: "a day" }, /SLA_TIER1_HOURS/],
    [{ SLA_TIER1_HOURS: "1.5" }, /SLA_TIER1_HOURS: must be a whole number of hours/],
    [{ SLA_OVERDUE_HOURS: "-72" }, /SLA_OVERDUE_HOURS/],
    [{ SLA_WEEKENDS: "sometimes" }, /SLA_WEEKENDS/],
  ])("stops start-up with a sentence naming the variable for %o", (bad, pattern) => {
    expect(() => loadConfig({ ...valid, ...bad })).toThrow(ConfigError);
    expect(() => loadConfig({ ...valid, ...bad })).toThrow(pattern);
  });

  it("names a period in hours, or in whole days from two days on", () => {
    expect([1, 24, 47, 48, 60, 72, 80].map((h) => period(h, "count"))).toEqual([
      "1 hour",
      "24 hours",
      "47 hours",
      "2 days",
      "60 hours",
      "3 days",
      "80 hours",
    ]);
    expect([1, 60, 72].map((h) => period(h, "skip"))).toEqual(["1 weekday hour", "60 weekday hours", "3 weekdays"]);
  });
});
