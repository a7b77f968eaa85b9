/**
 * The SLA rules, so a student's ticket never waits unseen: a student tech team ticket no one works
 * moves up to the school IT lead, and a ticket waiting on the IT lead, a coach or the building admin
 * with no one working it is called out to them, and again after each further period it stays
 * unworked. "Worked" means a timeline entry made by a person (a comment, an assignment, a move, a
 * status change, a device action on it). Saturdays and Sundays do not count towards the hours unless
 * the district says they do (SLA_WEEKENDS).
 */
import type { Kysely } from "kysely";
import { type Permission, type StaffRole, staffRoleLabels, type TicketQueue } from "../../shared";
import type { Database } from "../store/schema";
import { quietTickets } from "../store/ticket-desk";
import type { Actor } from "./device-actions";
import { notify, someoneHoldsRole } from "./notifications";
import { changeUnlessWorked } from "./ticket-desk";

/** TechDesk on the timeline. Never rename it: a ticket's reminders are found by this name. */
export const slaActor: Actor = { id: null, name: "TechDesk SLA check" };

export interface SlaRules {
  /** How long a student tech team ticket may go unworked before it moves to the school IT lead. */
  tier1Hours: number;
  /**
   * How long a ticket with the school IT lead, a coach or the building admin may go unworked before
   * they are reminded; and again after each further such period it stays unworked.
   */
  overdueHours: number;
  /** Whether Saturdays and Sundays, in `timeZone`, count towards the hours. */
  weekends: "skip" | "count";
  /** The district's time zone (JOBS_TIMEZONE): where its weekends begin and end. */
  timeZone: string;
}

export interface SlaResult {
  /** Tickets moved from the student tech team to the school IT lead. */
  escalated: number[];
  /** Tickets whose IT lead, coaches or building admins were reminded. */
  reminded: number[];
  /** Tickets someone worked on while this run was about to act on them: theirs is the change that stands. */
  skipped: number[];
  /** True when this run stopped at its limit with tickets still to look at: the next run carries on. */
  more: boolean;
}

/** Who is told about a ticket waiting in a queue: those who work the queue in its school. */
interface Audience {
  /** Where no permission is theirs alone: the role whose holders are told, when the school has one. */
  role?: { role: StaffRole; who: string };
  /** The permission whose holders are told (when `role` is given, only if no one in the school holds it). */
  permission: Permission;
  who: string;
}

const reminded: Partial<Record<TicketQueue, Audience>> = {
  // Only IT leads and district admins hold it in a school.
  school_it: { permission: "ticket.route_external", who: "the school's IT leads" },
  // No permission is the coaches' alone, so they are told by role. A school with no coach has
  // everyone who may resolve a how-to question told instead.
  coach: {
    role: { role: "coach", who: "the school's coaches" },
    permission: "ticket.resolve",
    who: "those who may resolve its tickets",
  },
  // Building admins hold no permission of their own either. The queue sits beside the school IT lead
  // at tier 2: a school with no building admin has its IT leads told, who can move the ticket on.
  building_admin: {
    role: { role: "building_admin", who: "the school's building admins" },
    permission: "ticket.route_external",
    who: "the school's IT leads",
  },
};

interface Told {
  to: { role: StaffRole } | { permission: Permission };
  who: string;
  /** Why they, and not the queue's own people. */
  because?: string;
}

/** Who is told in `school`, and in words. */
async function toldIn(db: Kysely<Database>, audience: Audience, school: string | null): Promise<Told> {
  const { role, permission, who } = audience;
  if (!role) return { to: { permission }, who };
  if (await someoneHoldsRole(db, role.role, school)) return { to: { role: role.role }, who: role.who };
  return { to: { permission }, who, because: `the school has no ${staffRoleLabels[role.role].toLowerCase()}` };
}

const hourMs = 3_600_000;

/**
 * A rule's period in words: "24 hours", "3 days" (whole days from two on; 60 hours stays "60 hours"),
 * or "24 weekday hours", "3 weekdays" when weekends are skipped.
 */
export function period(hours: number, weekends: SlaRules["weekends"]): string {
  const days = hours >= 48 && hours % 24 === 0 ? hours / 24 : undefined;
  const weekday = weekends === "skip" ? "weekday " : "";
  if (days) return weekends === "skip" ? `${days} weekdays` : `${days} days`;
  return `${hours} ${weekday}hour${hours === 1 ? "" : "s"}`;
}

const slice = 15 * 60_000;

/** The day `at` falls on in `timeZone`, as a reminder names it: "Monday, March 2". */
function dayOf(at: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-US", { timeZone, weekday: "long", month: "long", day: "numeric" }).format(
    new Date(at),
  );
}

/**
 * The moment `hours` before `now`, leaving out Saturdays and Sundays in `timeZone` when they are
 * skipped: a ticket quiet since before then has waited the rule's hours. Walks back in quarter hours
 * (every UTC offset is a whole number of them, so each slice lies within one local day).
 */
export function hoursBefore(now: Date, hours: number, rules: Pick<SlaRules, "weekends" | "timeZone">): Date {
  if (rules.weekends === "count") return new Date(now.getTime() - hours * hourMs);
  const weekday = new Intl.DateTimeFormat("en-US", { timeZone: rules.timeZone, weekday: "short" });
  let t = now.getTime();
  let left = hours * hourMs;
  for (;;) {
    const from = t % slice === 0 ? t - slice : t - (t % slice);
    const day = weekday.format(from);
    if (day !== "Sat" && day !== "Sun") {
      if (t - from >= left) return new Date(t - left);
      left -= t - from;
    }
    t = from;
  }
}

type QuietTicket = Awaited<ReturnType<typeof quietTickets>>[number];

/** Rule 1: moves a student tech team ticket to the school IT lead, unassigned, and tells the IT leads. */
export function escalateUnworked(
  db: Kysely<Database>,
  ticket: QuietTicket,
  now: Date,
  quiet: string,
): Promise<boolean> {
  const reason = `No one worked this ticket for ${quiet}.${
    ticket.assigneeId
      ? ` It is no longer assigned to ${ticket.assigneeName ?? "its tech team member"}, so an IT lead can pick it up.`
      : ""
  }`;
  return changeUnlessWorked(
    db,
    slaActor,
    ticket,
    {
      kind: "escalated",
      detail: {
        fromQueue: ticket.queue,
        fromTier: ticket.tier,
        toQueue: "school_it",
        toTier: 2,
        reason,
        ...(ticket.assigneeId ? { unassigned: { id: ticket.assigneeId, name: ticket.assigneeName ?? null } } : {}),
      },
      update: { queue: "school_it", tier: 2, assigneeId: null, status: "open" },
      also: (trx) =>
        notify(trx, {
          permission: "ticket.route_external",
          school: ticket.school,
          title: `Ticket #${ticket.number} moved to you: no one worked it for ${quiet}`,
          body: `The student tech team had not worked ticket #${ticket.number} for ${quiet}, so TechDesk moved it to the school IT lead's queue${ticket.assigneeId ? " and took it off its assignee's list" : ""}.`,
          link: `#/tickets/${ticket.number}`,
          at: now.toISOString(),
        }),
    },
    now,
  );
}

/**
 * Rule 2: notes on the ticket that it waits, and tells whoever works its queue in its school. A
 * ticket reminded before in this quiet stretch is said to wait still, since the day its wait began.
 */
export async function remindOverdue(
  db: Kysely<Database>,
  ticket: QuietTicket,
  now: Date,
  rules: Pick<SlaRules, "overdueHours" | "weekends" | "timeZone">,
): Promise<boolean> {
  const audience = reminded[ticket.queue as TicketQueue];
  if (!audience) return false;
  const told = await toldIn(db, audience, ticket.school);
  const earlier = Number(ticket.notes);
  // A repeat says since when, which stays true however long the job was stopped or the period changed.
  const title = earlier
    ? `Ticket #${ticket.number} has waited since ${dayOf(ticket.lastWorkedAt ?? ticket.createdAt, rules.timeZone)} and still no one has worked it`
    : `Ticket #${ticket.number} has waited ${period(rules.overdueHours, rules.weekends)} with no one working it`;
  const note = `TechDesk told ${told.who}${earlier ? " again" : ""}${told.because ? `, as ${told.because}` : ""}.`;
  const notification = {
    school: ticket.school,
    title,
    body: ticket.assigneeId
      ? `It is assigned to ${ticket.assigneeName ?? "someone"}. Work it, or give it to someone who can.`
      : "No one is assigned to it. Pick it up, or give it to someone who can.",
    link: `#/tickets/${ticket.number}`,
    at: now.toISOString(),
  };
  return changeUnlessWorked(
    db,
    slaActor,
    ticket,
    {
      kind: "comment",
      detail: { body: `${title}. ${note}`, sla: "overdue" },
      update: {},
      also: (trx) => notify(trx, { ...notification, ...told.to }),
    },
    now,
  );
}

type Progress = (detail: Record<string, unknown>) => Promise<void>;

/**
 * Applies both rules at `now`, `batchSize` tickets at a time and at most `maxTickets` tickets per rule
 * in one run (a backlog drains over the next runs). Idempotent: a moved ticket has left the tech
 * team's queue, and a reminded one is not reminded again until it has waited another whole period
 * from the reminder (a reminder is not work, but the next one counts from it). Two runs at once
 * remind once: the second finds the ticket changed since it read it. Tickets with district repair or
 * a vendor are never looked at.
 */
export async function runSlaCheck(
  db: Kysely<Database>,
  rules: SlaRules,
  options: { now: Date; batchSize?: number; maxTickets?: number; progress?: Progress },
): Promise<SlaResult> {
  const { now, batchSize = 100, maxTickets = 1000 } = options;
  const result: SlaResult = { escalated: [], reminded: [], skipped: [], more: false };
  const report = () =>
    options.progress?.({
      escalated: result.escalated.length,
      reminded: result.reminded.length,
      skipped: result.skipped.length,
    });
  const passes = [
    {
      queues: ["student_tech_team"],
      hours: rules.tier1Hours,
      act: (ticket: QuietTicket) => escalateUnworked(db, ticket, now, period(rules.tier1Hours, rules.weekends)),
      done: result.escalated,
    },
    {
      queues: Object.keys(reminded),
      hours: rules.overdueHours,
      // A ticket this check moved up gets the whole period from the move, not a reminder with it.
      restartedBy: { actorName: slaActor.name, kind: "escalated" },
      // And the next reminder comes a whole period after the last one.
      notedBy: { actorName: slaActor.name, kind: "comment" },
      act: (ticket: QuietTicket) => remindOverdue(db, ticket, now, rules),
      done: result.reminded,
    },
  ];
  for (const { act, done, hours, ...query } of passes) {
    const quietSince = hoursBefore(now, hours, rules).toISOString();
    const next = (after: number, limit: number) => quietTickets(db, { ...query, quietSince, after, limit });
    let after = 0;
    let seen = 0;
    for (;;) {
      const limit = Math.min(batchSize, maxTickets - seen);
      if (limit <= 0) {
        if ((await next(after, 1)).length) result.more = true;
        break;
      }
      const batch = await next(after, limit);
      for (const ticket of batch) {
        if (await act(ticket)) done.push(ticket.number);
        else result.skipped.push(ticket.number);
      }
      seen += batch.length;
      await report();
      const last = batch.at(-1);
      if (!last || batch.length < limit) break;
      after = last.number;
    }
  }
  return result;
}
