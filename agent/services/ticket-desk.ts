/**
 * The ticket desk: what staff see and do to tickets. Every action checks the person's permission in
 * the ticket's school and writes the change and its timeline entry in one transaction.
 */
import type { Kysely } from "kysely";
import {
  type ConsoleTicket,
  type ConsoleTicketDetail,
  type DiagnosticsSnapshot,
  isAllowed,
  type Permission,
  queueTier,
  type RoleGrant,
  rolePermissions,
  routedOutside,
  type TicketEvent,
  type TicketQueue,
  ticketDevice,
} from "../../shared";
import { ApiError } from "../errors";
import type { Database, TicketRow } from "../store/schema";
import { findStaffUser, grantsOf } from "../store/staff";
import type { SchoolScope } from "../store/ticket-desk";
import * as tickets from "../store/tickets";
import { orUndefined } from "../store/values";
import { type Actor, actorOf } from "./device-actions";
import { deviceForTicket, inventoryMatch, toInventoryDevice } from "./devices";
import type { StaffPrincipal } from "./staff-accounts";
import { toTicket } from "./tickets";

/** The schools in which these grants give `permission`. */
export function scopeFor(grants: readonly RoleGrant[], permission: Permission): SchoolScope {
  const granting = grants.filter((g) => rolePermissions[g.role].includes(permission));
  if (granting.some((g) => g.school === "*")) return { all: true };
  return { all: false, schools: [...new Set(granting.map((g) => g.school))] };
}

export function toConsoleTicket(row: TicketRow & { assigneeName?: string | null }): ConsoleTicket {
  return {
    ...toTicket(row),
    school: orUndefined(row.school),
    note: orUndefined(row.note),
    serialNumber: orUndefined(row.serialNumber),
    assetId: orUndefined(row.assetId),
    userEmail: orUndefined(row.userEmail),
    assignee: row.assigneeId ? { id: row.assigneeId, name: row.assigneeName ?? "Unknown" } : undefined,
  };
}

/** The ticket if this person may read it; otherwise 404, so other schools' tickets do not leak. */
async function visibleTicket(db: Kysely<Database>, staff: StaffPrincipal, number: number): Promise<TicketRow> {
  const row = await tickets.findTicket(db, number);
  if (!row || !isAllowed(staff.grants, "ticket.read", row.school)) {
    throw new ApiError(404, "not_found", `There is no ticket #${number} you can see.`);
  }
  return row;
}

function requirePermission(staff: StaffPrincipal, permission: Permission, school: string | null, what: string) {
  if (!isAllowed(staff.grants, permission, school)) {
    throw new ApiError(403, "forbidden", `Your role does not allow you to ${what} for this school.`);
  }
}

export async function ticketDetailFor(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  number: number,
): Promise<ConsoleTicketDetail> {
  const row = await visibleTicket(db, staff, number);
  const [withReport, events, assignee, device, enrollment] = await Promise.all([
    tickets.findTicketWithReport(db, number),
    tickets.listTicketEvents(db, number),
    row.assigneeId ? findStaffUser(db, row.assigneeId) : undefined,
    deviceForTicket(db, row.directoryDeviceId, row.serialNumber),
    db
      .selectFrom("deviceEnrollments")
      .select(["directoryDeviceId", "serialNumber"])
      .where("id", "=", row.enrollmentId)
      .executeTakeFirst(),
  ]);
  // Checked now, not when the device enrolled: it may have enrolled before the first sync, or mid-way.
  const match =
    enrollment &&
    (await inventoryMatch(db, {
      directoryDeviceId: enrollment.directoryDeviceId ?? undefined,
      serialNumber: enrollment.serialNumber ?? undefined,
    }));
  // The device's facts only for someone who may read that device (it can sit in another school's OU).
  const shown = device && isAllowed(staff.grants, "device.read", device.orgUnitPath) ? device : undefined;
  if (!withReport) throw new ApiError(404, "not_found", `There is no ticket #${number}.`);
  const can = (p: Permission) => isAllowed(staff.grants, p, row.school);
  return {
    ...toConsoleTicket({ ...row, assigneeName: assignee?.displayName }),
    clientTime: withReport.clientTime,
    receivedAt: withReport.receivedAt,
    hasScreenshot: Boolean(withReport.hasScreenshot),
    diagnostics: JSON.parse(withReport.diagnostics) as DiagnosticsSnapshot,
    events: events.map(
      (e): TicketEvent => ({
        id: e.id,
        kind: e.kind as TicketEvent["kind"],
        actorName: e.actorName,
        createdAt: e.createdAt,
        detail: JSON.parse(e.detail) as Record<string, unknown>,
      }),
    ),
    // The inventory's view of the device, kept to the facts a ticket shows.
    device: shown && ticketDevice.parse(toInventoryDevice(shown)),
    inventoryMatch: match ?? undefined,
    can: {
      comment: can("ticket.comment"),
      assign: can("ticket.assign"),
      escalate: can("ticket.escalate"),
      routeExternal: can("ticket.route_external"),
      resolve: can("ticket.resolve"),
    },
  };
}

/** What a change to a ticket may rest on: the fields it read and decided from. */
type TicketState = Pick<TicketRow, "status" | "queue" | "tier" | "assigneeId">;

interface TicketChange {
  kind: TicketEvent["kind"];
  detail: Record<string, unknown>;
  update: Partial<TicketState>;
  /** The fields this action read and decided from: the change applies only while they are unchanged. */
  readAs?: readonly (keyof TicketState | "updatedAt")[];
  /**
   * The ticket's `updatedAt` as the person's screen showed it: the change applies only while no one
   * has moved, assigned, resolved, reopened or commented on it since, so acting on a stale screen
   * never undoes what a colleague did or said meanwhile.
   */
  expectedUpdatedAt?: string;
  /** Written in the same transaction, once the change is certain (a notification about it). */
  also?: (trx: Kysely<Database>) => Promise<void>;
}

const queuePhrases: Record<TicketQueue, string> = {
  student_tech_team: "with the student tech team",
  school_it: "with the school IT lead",
  district_repair: "with district repair",
  vendor: "with a vendor",
  coach: "with the coaches",
  building_admin: "with the building admin",
};

/** The refusal for a person who acted on a version of the ticket that is no longer current: what it is now. */
async function changedSinceOpened(trx: Kysely<Database>, row: TicketRow): Promise<ApiError> {
  const current = (await tickets.findTicket(trx, row.number)) ?? row;
  const assignee = current.assigneeId ? await findStaffUser(trx, current.assigneeId) : undefined;
  const who = current.assigneeId ? `assigned to ${assignee?.displayName ?? "someone no longer listed"}` : "unassigned";
  const state = `${current.status.replace("_", " ")} ${queuePhrases[current.queue as TicketQueue]} at tier ${current.tier}`;
  return new ApiError(
    409,
    "conflict",
    `Ticket #${row.number} changed since you opened it: it is now ${state}, ${who}. Reload to see the change, then decide.`,
  );
}

/**
 * Writes the change and its timeline entry, but only while the fields in `readAs` are still what this
 * action read (two people working the same ticket at once get one change, never a mix of both) and,
 * when given, nothing a colleague did since the person's screen was drawn would be undone: the check
 * is part of the update itself.
 */
async function change(
  db: Kysely<Database>,
  actor: Actor,
  row: TicketRow,
  { kind, detail, update, readAs = [], expectedUpdatedAt, also }: TicketChange,
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  await db.transaction().execute(async (trx) => {
    let query = trx
      .updateTable("tickets")
      .set({ ...update, updatedAt: at })
      .where("number", "=", row.number);
    for (const field of readAs) {
      const value = row[field];
      query = value === null ? query.where(field, "is", null) : query.where(field, "=", value);
    }
    if (expectedUpdatedAt !== undefined) {
      // What a colleague did since the person's screen was drawn: a move, an assignment, a resolve or
      // reopen (TechDesk's SLA move too), or a person's comment. A device action's note on the
      // timeline, or the worker confirming one, undoes nothing and does not refuse the change.
      const since = new Date(expectedUpdatedAt).toISOString();
      query = query.where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("ticketEvents")
              .select("ticketEvents.id")
              .whereRef("ticketEvents.ticketNumber", "=", "tickets.number")
              .where("ticketEvents.createdAt", ">", since)
              .where((e) =>
                e.or([
                  e("ticketEvents.kind", "in", ["assigned", "escalated", "resolved", "reopened"]),
                  e.and([e("ticketEvents.kind", "=", "comment"), e("ticketEvents.actorId", "is not", null)]),
                ]),
              ),
          ),
        ),
      );
    }
    const { numUpdatedRows } = await query.executeTakeFirst();
    if (Number(numUpdatedRows) === 0) {
      if (expectedUpdatedAt !== undefined) throw await changedSinceOpened(trx, row);
      throw new ApiError(
        409,
        "conflict",
        `Ticket #${row.number} changed while you were working on it. Reload it to see the change.`,
      );
    }
    await tickets.insertTicketEvent(trx, {
      ticketNumber: row.number,
      kind,
      actorId: actor.id,
      actorName: actor.name,
      detail: JSON.stringify(detail),
      createdAt: at,
    });
    await also?.(trx);
  });
}

/**
 * A change TechDesk makes by itself (the SLA check), on the terms of a person's but yielding to
 * people: it applies only while the ticket is exactly as read — `updatedAt` included, so anything a
 * person did to it in between, a comment too, wins. Answers false, writing nothing, when it did not apply.
 */
export async function changeUnlessWorked(
  db: Kysely<Database>,
  actor: Actor,
  row: TicketRow,
  input: {
    kind: TicketEvent["kind"];
    detail: Record<string, unknown>;
    update: Partial<TicketState>;
    also?: (trx: Kysely<Database>) => Promise<void>;
  },
  now: Date,
): Promise<boolean> {
  try {
    await change(db, actor, row, { ...input, readAs: ["status", "queue", "tier", "assigneeId", "updatedAt"] }, now);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return false;
    throw error;
  }
}

export async function commentOn(db: Kysely<Database>, staff: StaffPrincipal, number: number, body: string, now: Date) {
  const row = await visibleTicket(db, staff, number);
  requirePermission(staff, "ticket.comment", row.school, "comment");
  await change(db, actorOf(staff), row, { kind: "comment", detail: { body }, update: {} }, now);
}

export async function assign(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  number: number,
  assigneeId: string | null,
  now: Date,
  expectedUpdatedAt?: string,
) {
  const row = await visibleTicket(db, staff, number);
  requirePermission(staff, "ticket.assign", row.school, "assign tickets");
  let assigneeName: string | null = null;
  if (assigneeId) {
    const assignee = await findStaffUser(db, assigneeId);
    if (!assignee || assignee.disabled || !isAllowed(await grantsOf(db, assigneeId), "ticket.read", row.school)) {
      throw new ApiError(400, "bad_request", "That person cannot work tickets for this school.");
    }
    assigneeName = assignee.displayName;
  }
  // In progress means someone is on it: claiming an open ticket starts it, unassigning puts it back.
  const status =
    assigneeId && row.status === "open"
      ? "in_progress"
      : !assigneeId && row.status === "in_progress"
        ? "open"
        : row.status;
  await change(
    db,
    actorOf(staff),
    row,
    {
      kind: "assigned",
      detail: { to: assigneeName, toId: assigneeId },
      update: { assigneeId, status },
      readAs: ["status", "assigneeId"],
      expectedUpdatedAt,
    },
    now,
  );
}

export async function escalate(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  number: number,
  input: { queue: TicketQueue; tier: number; reason: string; expectedUpdatedAt?: string },
  now: Date,
) {
  const row = await visibleTicket(db, staff, number);
  requirePermission(staff, "ticket.escalate", row.school, "change a ticket's queue or tier");
  if (row.status === "resolved" || row.status === "closed")
    throw new ApiError(409, "conflict", `Ticket #${number} is resolved. Reopen it before you move it.`);
  if (queueTier[input.queue] !== input.tier) {
    throw new ApiError(
      400,
      "bad_request",
      `That queue works at tier ${queueTier[input.queue]}, not tier ${input.tier}. Pick the matching tier, or another queue.`,
    );
  }
  if (routedOutside(input.queue, input.tier)) {
    requirePermission(staff, "ticket.route_external", row.school, "send tickets to district repair or a vendor");
  }
  // Taking a ticket back from district repair or a vendor is their call as much as sending it was.
  if (routedOutside(row.queue, row.tier)) {
    requirePermission(
      staff,
      "ticket.route_external",
      row.school,
      "move tickets that are with district repair or a vendor",
    );
  }
  if (input.queue === row.queue && input.tier === row.tier) {
    throw new ApiError(400, "bad_request", "The ticket is already in that queue and tier.");
  }
  await change(
    db,
    actorOf(staff),
    row,
    {
      kind: "escalated",
      detail: {
        fromQueue: row.queue,
        fromTier: row.tier,
        toQueue: input.queue,
        toTier: input.tier,
        reason: input.reason,
      },
      update: { queue: input.queue, tier: input.tier },
      readAs: ["status", "queue", "tier"],
      expectedUpdatedAt: input.expectedUpdatedAt,
    },
    now,
  );
}

export async function resolve(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  number: number,
  resolution: string,
  now: Date,
  expectedUpdatedAt?: string,
) {
  const row = await visibleTicket(db, staff, number);
  requirePermission(staff, "ticket.resolve", row.school, "resolve tickets");
  if (row.status === "resolved" || row.status === "closed")
    throw new ApiError(409, "conflict", `Ticket #${number} is already resolved.`);
  await change(
    db,
    actorOf(staff),
    row,
    { kind: "resolved", detail: { resolution }, update: { status: "resolved" }, readAs: ["status"], expectedUpdatedAt },
    now,
  );
}

export async function reopen(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  number: number,
  reason: string,
  now: Date,
  expectedUpdatedAt?: string,
) {
  const row = await visibleTicket(db, staff, number);
  requirePermission(staff, "ticket.resolve", row.school, "reopen tickets");
  if (row.status !== "resolved" && row.status !== "closed")
    throw new ApiError(409, "conflict", `Ticket #${number} is not resolved.`);
  const status = row.assigneeId ? "in_progress" : "open";
  await change(
    db,
    actorOf(staff),
    row,
    { kind: "reopened", detail: { reason }, update: { status }, readAs: ["status", "assigneeId"], expectedUpdatedAt },
    now,
  );
}
