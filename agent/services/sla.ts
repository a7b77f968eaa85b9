/**
 * The SLA rules, so a student's ticket never waits unseen: a student tech team ticket no one works
 * moves up to the school IT lead, and a ticket waiting on the IT lead or a coach with no one working
 * it is called out to them once. "Worked" means a timeline entry made by a person (a comment, an
 * assignment, a move, a status change, a device action on it). Saturdays and Sundays do not count
 * towards the hours unless the district says they do (SLA_WEEKENDS).
 */
import type { Kysely } from "kysely";
import type { Permission, TicketQueue } from "../../shared";
import type { Database } from "../store/schema";
import { quietTickets } from "../store/ticket-desk";
import { type Actor, notify } from "./device-actions";
import { changeUnlessWorked } from "./ticket-desk";

/** TechDesk on the timeline. Never rename it: a ticket's reminders are found by this name. */
export const slaActor: Actor = { id: null, name: "TechDesk SLA check" };

export interface SlaRules {
  /** How long a student tech team ticket may go unworked before it moves to the school IT lead. */
  tier1Hours: number;
  /** How long a ticket with the school IT lead or a coach may go unworked before they are reminded. */
  overdueHours: number;
  /** Whether Saturdays and Sundays, in `timeZone`, count towards the hours. */
  weekends: "skip" | "count";
  /** The district's time zone (JOBS_TIMEZONE): where its weekends begin and end. */
  timeZone: string;
}

export interface SlaResult {
  /** Tickets moved from the student tech team to the school IT lead. */
  escalated: number[];
  /** Tickets whose IT lead or coaches were reminded. */
  reminded: number[];
  /** Tickets someone worked on while this run was about to act on them: theirs is the change that stands. */
  skipped: number[];
  /** True when this run stopped at its limit with tickets still to look at: the next run carries on. */
  more: boolean;
}

/** The queues whose stale tickets are called out, and who is told: those who work the queue in its school. */
const reminded: Partial<Record<TicketQueue, { permission: Permission; who: string }>> = {
  // Only IT leads and district admins hold it in a school.
  school_it: { permission: "ticket.route_external", who: "the school's IT leads" },
  // No permission is the coaches' alone: everyone who may resolve a how-to question is told.
  coach: { permission: "ticket.resolve", who: "the school's coaches" },
};

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

/** Rule 2: notes on the ticket that it waits, and tells whoever works its queue in its school. */
export function remindOverdue(db: Kysely<Database>, ticket: QuietTicket, now: Date, quiet: string): Promise<boolean> {
  const audience = reminded[ticket.queue as TicketQueue];
  if (!audience) return Promise.resolve(false);
  const title = `Ticket #${ticket.number} has waited ${quiet} with no one working it`;
  return changeUnlessWorked(
    db,
    slaActor,
    ticket,
    {
      kind: "comment",
      detail: { body: `${title}. TechDesk told ${audience.who}.`, sla: "overdue" },
      update: {},
      also: (trx) =>
        notify(trx, {
          permission: audience.permission,
          school: ticket.school,
          title,
          body: ticket.assigneeId
            ? `It is assigned to ${ticket.assigneeName ?? "someone"}. Work it, or give it to someone who can.`
            : "No one is assigned to it. Pick it up, or give it to someone who can.",
          link: `#/tickets/${ticket.number}`,
          at: now.toISOString(),
        }),
    },
    now,
  );
}

type Progress = (detail: Record<string, unknown>) => Promise<void>;

/**
 * Applies both rules at `now`, `batchSize` tickets at a time and at most `maxTickets` tickets per rule
 * in one run (a backlog drains over the next runs). Idempotent: a moved ticket has left the tech
 * team's queue, and a reminded one is not reminded again until someone works it and it goes quiet anew.
 * Tickets with district repair or a vendor are never looked at.
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
    { queues: ["student_tech_team"], hours: rules.tier1Hours, act: escalateUnworked, done: result.escalated },
    {
      queues: Object.keys(reminded),
      hours: rules.overdueHours,
      // A ticket this check moved up gets the whole period from the move, not a reminder with it.
      restartedBy: { actorName: slaActor.name, kind: "escalated" },
      notNotedBy: { actorName: slaActor.name, kind: "comment" },
      act: remindOverdue,
      done: result.reminded,
    },
  ];
  for (const { act, done, hours, ...query } of passes) {
    const quietSince = hoursBefore(now, hours, rules).toISOString();
    const quiet = period(hours, rules.weekends);
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
        if (await act(db, ticket, now, quiet)) done.push(ticket.number);
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
