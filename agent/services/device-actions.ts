/**
 * Lost and stolen devices and MDM actions as people ask for them. Asking only writes durable
 * records (state `requested`), their audit entries and ticket timeline entries, in one transaction;
 * the action worker then carries each to Google and records how it ended. Every check of who may
 * do what is here, against the device's own OU.
 */
import { randomUUID } from "node:crypto";
import type { Kysely, Selectable, Transaction } from "kysely";
import {
  type CommandRequest,
  confirmationMatches,
  type DeviceAction,
  type DeviceCommand,
  type DeviceControls,
  expectedConfirmation,
  isAllowed,
  type MatchLine,
  type MissingDevice,
  type Permission,
  type StatusAction,
  type StatusActionRequest,
} from "../../shared";
import { ApiError } from "../errors";
import { endAssignment, resumeAssignment } from "../store/assignments";
import { appendAudit } from "../store/audit";
import { isUniqueViolation } from "../store/db";
import type { Database, DeviceActionRow, DeviceTable } from "../store/schema";
import * as tickets from "../store/tickets";
import { orUndefined } from "../store/values";
import { toInventoryDevice } from "./devices";
import { notify } from "./notifications";
import type { StaffPrincipal } from "./staff-accounts";

/** Who acts: a signed-in person, or TechDesk itself (the overnight lockdown). */
export interface Actor {
  id: string | null;
  name: string;
}

export function actorOf(staff: StaffPrincipal): Actor {
  return { id: staff.user.id, name: staff.user.displayName };
}

export const systemActor: Actor = { id: null, name: "TechDesk overnight lockdown" };

type DeviceRow = Selectable<DeviceTable>;

export function toDeviceAction(row: DeviceActionRow): DeviceAction {
  return {
    id: row.id,
    batchId: row.batchId,
    kind: row.kind as DeviceAction["kind"],
    commandType: orUndefined(row.commandType),
    deviceId: row.deviceId,
    serialNumber: orUndefined(row.serialNumber),
    state: row.state as DeviceAction["state"],
    reason: row.reason,
    deprovisionReason: orUndefined(row.deprovisionReason),
    ticketNumber: orUndefined(row.ticketNumber),
    requestedBy: row.requestedByName,
    attempts: row.attempts,
    nextAttemptAt: row.state === "requested" ? row.nextAttemptAt : undefined,
    commandState: orUndefined(row.commandState),
    error: orUndefined(row.error),
    result: row.result ? (JSON.parse(row.result) as unknown) : undefined,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: orUndefined(row.finishedAt),
  };
}

/** Devices by id that this person may act on with `permission`; refuses the whole request otherwise. */
async function devicesFor(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  deviceIds: readonly string[],
  permission: Permission,
  what: string,
): Promise<DeviceRow[]> {
  const unique = [...new Set(deviceIds)];
  const rows: DeviceRow[] = [];
  for (let i = 0; i < unique.length; i += 500) {
    rows.push(
      ...(await db
        .selectFrom("devices")
        .selectAll()
        .where("deviceId", "in", unique.slice(i, i + 500))
        .execute()),
    );
  }
  const byId = new Map(rows.map((r) => [r.deviceId, r]));
  const unseen = unique.filter((id) => {
    const row = byId.get(id);
    return !row || !isAllowed(staff.grants, "device.read", row.orgUnitPath);
  });
  if (unseen.length)
    throw new ApiError(404, "not_found", `There is no such device you can see: ${unseen.slice(0, 5).join(", ")}.`);
  const refused = unique.filter((id) => !isAllowed(staff.grants, permission, byId.get(id)?.orgUnitPath));
  if (refused.length) {
    const names = refused.slice(0, 5).map((id) => byId.get(id)?.serialNumber ?? id);
    throw new ApiError(403, "forbidden", `Your role does not allow you to ${what} ${names.join(", ")}.`);
  }
  return unique.map((id) => byId.get(id) as DeviceRow);
}

async function checkTicket(db: Kysely<Database>, staff: StaffPrincipal, ticketNumber: number | undefined) {
  if (ticketNumber === undefined) return;
  const ticket = await tickets.findTicket(db, ticketNumber);
  if (!ticket || !isAllowed(staff.grants, "ticket.read", ticket.school))
    throw new ApiError(404, "not_found", `There is no ticket #${ticketNumber} you can see.`);
}

async function noteOnTicket(
  trx: Kysely<Database>,
  ticketNumber: number | null | undefined,
  actor: Actor,
  detail: Record<string, unknown>,
  at: string,
) {
  if (!ticketNumber) return;
  // The ticket first: on PostgreSQL its row is then locked before the entry takes its id, as in every
  // other change to a ticket, so ids follow the order in which changes to one ticket are made.
  await trx.updateTable("tickets").set({ updatedAt: at }).where("number", "=", ticketNumber).execute();
  await tickets.insertTicketEvent(trx, {
    ticketNumber,
    kind: "device",
    actorId: actor.id,
    actorName: actor.name,
    detail: JSON.stringify(detail),
    createdAt: at,
  });
}

const openStates = ["requested", "sent"];

export interface NewAction {
  device: DeviceRow;
  kind: StatusAction | "command";
  commandType?: DeviceCommand;
  reason: string;
  deprovisionReason?: string;
  ticketNumber?: number;
}

/**
 * Writes requested actions, one audit entry each, and a ticket timeline entry, in one transaction.
 * A device that already has the same action open keeps that one: asking twice acts once.
 */
export async function recordActions(
  db: Kysely<Database>,
  actor: Actor,
  actions: NewAction[],
  context: { requestId?: string; now: Date },
): Promise<DeviceAction[]> {
  try {
    return await writeActions(db, actor, actions, context);
  } catch (error) {
    // A concurrent request recorded the same action first: this one now finds it open and reuses it.
    if (isUniqueViolation(error)) return writeActions(db, actor, actions, context);
    throw error;
  }
}

async function writeActions(
  db: Kysely<Database>,
  actor: Actor,
  actions: NewAction[],
  context: { requestId?: string; now: Date },
): Promise<DeviceAction[]> {
  const at = context.now.toISOString();
  const batchId = randomUUID();
  return db.transaction().execute(async (trx) => {
    const open = await trx
      .selectFrom("deviceActions")
      .selectAll()
      .where(
        "deviceId",
        "in",
        actions.map((a) => a.device.deviceId),
      )
      .where("state", "in", openStates)
      .execute();
    const out: DeviceAction[] = [];
    for (const action of actions) {
      const same = open.find(
        (o) =>
          o.deviceId === action.device.deviceId &&
          o.kind === action.kind &&
          (o.commandType ?? undefined) === action.commandType,
      );
      if (same) {
        out.push(toDeviceAction(same));
        continue;
      }
      const row: DeviceActionRow = {
        id: randomUUID(),
        batchId,
        kind: action.kind,
        commandType: action.commandType ?? null,
        deviceId: action.device.deviceId,
        serialNumber: action.device.serialNumber,
        school: action.device.orgUnitPath,
        state: "requested",
        reason: action.reason,
        deprovisionReason: action.deprovisionReason ?? null,
        ticketNumber: action.ticketNumber ?? null,
        requestedById: actor.id,
        requestedByName: actor.name,
        requestId: context.requestId ?? null,
        attempts: 0,
        nextAttemptAt: at,
        claimedBy: null,
        claimedUntil: null,
        commandId: null,
        commandState: null,
        result: null,
        error: null,
        createdAt: at,
        updatedAt: at,
        finishedAt: null,
      };
      await trx.insertInto("deviceActions").values(row).execute();
      const name = actionName(row);
      await appendAudit(trx, {
        at,
        actorId: actor.id,
        actorName: actor.name,
        action: `${name}.requested`,
        deviceId: row.deviceId,
        serialNumber: row.serialNumber,
        school: row.school,
        reason: row.reason,
        requestId: row.requestId,
        before: { status: action.device.status },
        after: { actionId: row.id, state: "requested", deprovisionReason: row.deprovisionReason ?? undefined },
      });
      await noteOnTicket(
        trx,
        row.ticketNumber,
        actor,
        {
          event: "action_requested",
          action: name,
          actionId: row.id,
          serialNumber: row.serialNumber,
          reason: row.reason,
        },
        at,
      );
      out.push(toDeviceAction(row));
    }
    return out;
  });
}

/** `device.disable`, `device.command.reboot`: the audit log's and the timeline's name for an action. */
export function actionName(row: Pick<DeviceActionRow, "kind" | "commandType">): string {
  return row.kind === "command" ? `device.command.${(row.commandType ?? "").toLowerCase()}` : `device.${row.kind}`;
}

export async function requestStatusChange(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  input: StatusActionRequest,
  context: { requestId?: string; now: Date },
): Promise<DeviceAction[]> {
  const verb = { disable: "disable", reenable: "re-enable", deprovision: "deprovision" }[input.action];
  const devices = await devicesFor(db, staff, input.deviceIds, "device.disable", verb);
  const expected = expectedConfirmation(input.action, devices);
  if (!confirmationMatches(expected, input.confirm))
    throw new ApiError(400, "bad_request", `To ${verb}, confirm by typing “${expected}”.`);
  const removed = devices.filter((d) => d.removedAt);
  if (removed.length)
    throw new ApiError(
      409,
      "conflict",
      `Google no longer lists ${removed.map((d) => d.serialNumber ?? d.deviceId).join(", ")}.`,
    );
  await checkTicket(db, staff, input.ticketNumber);
  return recordActions(
    db,
    actorOf(staff),
    devices.map((device) => ({
      device,
      kind: input.action,
      reason: input.reason,
      deprovisionReason: input.deprovisionReason,
      ticketNumber: input.ticketNumber,
    })),
    context,
  );
}

export async function requestCommand(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  deviceId: string,
  input: CommandRequest,
  context: { requestId?: string; now: Date },
): Promise<DeviceAction> {
  const [device] = await devicesFor(db, staff, [deviceId], "device.command", "send commands to");
  if (!device) throw new ApiError(404, "not_found", "There is no such device you can see.");
  const expected = expectedConfirmation(input.command, [device]);
  if (!confirmationMatches(expected, input.confirm))
    throw new ApiError(400, "bad_request", `To send this command, confirm by typing “${expected}”.`);
  if (device.status !== "ACTIVE")
    throw new ApiError(409, "conflict", `Google sends commands only to active devices; this one is ${device.status}.`);
  await checkTicket(db, staff, input.ticketNumber);
  const [action] = await recordActions(
    db,
    actorOf(staff),
    [{ device, kind: "command", commandType: input.command, reason: input.reason, ticketNumber: input.ticketNumber }],
    context,
  );
  return action as DeviceAction;
}

export async function listActions(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  query: { deviceId?: string; batchId?: string; state?: string; limit: number },
): Promise<DeviceAction[]> {
  let q = db.selectFrom("deviceActions").selectAll();
  if (query.deviceId) q = q.where("deviceId", "=", query.deviceId);
  if (query.batchId) q = q.where("batchId", "=", query.batchId);
  if (query.state) q = q.where("state", "=", query.state);
  const rows = await q.orderBy("createdAt", "desc").orderBy("id").limit(query.limit).execute();
  return rows.filter((r) => isAllowed(staff.grants, "device.read", r.school)).map(toDeviceAction);
}

/** Marks a device missing (from a ticket or "Mark lost"); its assignment ends until it is found. */
export async function markMissing(
  db: Kysely<Database>,
  actor: Actor,
  device: DeviceRow,
  input: { reason: string; ticketNumber?: number },
  context: { requestId?: string; now: Date },
  trx?: Transaction<Database>,
): Promise<void> {
  const at = context.now.toISOString();
  const write = async (t: Kysely<Database>) => {
    const already = await t
      .selectFrom("missingDevices")
      .select("since")
      .where("deviceId", "=", device.deviceId)
      .executeTakeFirst();
    if (already) {
      // A second report of the same loss: note it on the ticket, keep the first record.
      await noteOnTicket(t, input.ticketNumber, actor, { event: "already_missing", since: already.since }, at);
      return false;
    }
    await t
      .insertInto("missingDevices")
      .values({
        deviceId: device.deviceId,
        since: at,
        reason: input.reason,
        markedById: actor.id,
        markedByName: actor.name,
        ticketNumber: input.ticketNumber ?? null,
        assignedUser: device.annotatedUser,
      })
      .execute();
    // The assignment ends while the device is missing.
    await endAssignment(t, device.deviceId, at);
    await appendAudit(t, {
      at,
      actorId: actor.id,
      actorName: actor.name,
      action: "device.mark_missing",
      deviceId: device.deviceId,
      serialNumber: device.serialNumber,
      school: device.orgUnitPath,
      reason: input.reason,
      requestId: context.requestId,
      before: { missing: false, assignedUser: device.annotatedUser },
      after: { missing: true, ticketNumber: input.ticketNumber },
    });
    await noteOnTicket(
      t,
      input.ticketNumber,
      actor,
      { event: "marked_missing", serialNumber: device.serialNumber, reason: input.reason },
      at,
    );
    await notify(t, {
      permission: "device.disable",
      school: device.orgUnitPath,
      title: `Chromebook ${device.serialNumber ?? device.deviceId} marked missing`,
      body: `${actor.name}: ${input.reason}. Disable it now, or the overnight lockdown will.`,
      link: `#/devices/${encodeURIComponent(device.deviceId)}`,
      at,
    });
    return true;
  };
  if (trx) await write(trx);
  else await db.transaction().execute(write);
}

export async function markMissingFor(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  deviceId: string,
  input: { reason: string; ticketNumber?: number },
  context: { requestId?: string; now: Date },
): Promise<void> {
  const [device] = await devicesFor(db, staff, [deviceId], "device.mark_missing", "mark missing");
  if (!device) throw new ApiError(404, "not_found", "There is no such device you can see.");
  const missing = await db
    .selectFrom("missingDevices")
    .select("since")
    .where("deviceId", "=", deviceId)
    .executeTakeFirst();
  if (missing) throw new ApiError(409, "conflict", `This device has been marked missing since ${missing.since}.`);
  await checkTicket(db, staff, input.ticketNumber);
  await markMissing(db, actorOf(staff), device, input, context);
}

/** Found again: no longer missing, assignment restored, ticket told; re-enabled if asked (a licence). */
export async function markFound(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  deviceId: string,
  input: { note: string; reenable: boolean },
  context: { requestId?: string; now: Date },
): Promise<{ reenable?: DeviceAction }> {
  const [device] = await devicesFor(
    db,
    staff,
    [deviceId],
    input.reenable ? "device.disable" : "device.mark_missing",
    input.reenable ? "re-enable" : "mark found",
  );
  if (!device) throw new ApiError(404, "not_found", "There is no such device you can see.");
  const missing = await db.selectFrom("missingDevices").selectAll().where("deviceId", "=", deviceId).executeTakeFirst();
  if (!missing && !input.reenable) throw new ApiError(409, "conflict", "This device is not marked missing.");
  const actor = actorOf(staff);
  const at = context.now.toISOString();
  if (missing) {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom("missingDevices").where("deviceId", "=", deviceId).execute();
      await resumeAssignment(trx, deviceId, at);
      await appendAudit(trx, {
        at,
        actorId: actor.id,
        actorName: actor.name,
        action: "device.found",
        deviceId,
        serialNumber: device.serialNumber,
        school: device.orgUnitPath,
        reason: input.note,
        requestId: context.requestId,
        before: { missing: true, since: missing.since },
        after: { missing: false, assignedUser: missing.assignedUser ?? undefined },
      });
      await noteOnTicket(
        trx,
        missing.ticketNumber,
        actor,
        { event: "found", serialNumber: device.serialNumber, note: input.note, assignedUser: missing.assignedUser },
        at,
      );
    });
  }
  // A disable that has not gone out yet is no longer wanted. Only someone who may disable the
  // device calls off one a person asked for; anyone who may mark it found calls off TechDesk's own
  // (the overnight lockdown's, asked for because the device was missing).
  const mayDisable = isAllowed(staff.grants, "device.disable", device.orgUnitPath);
  const waiting = await db
    .selectFrom("deviceActions")
    .selectAll()
    .where("deviceId", "=", deviceId)
    .where("kind", "=", "disable")
    .where("state", "=", "requested")
    .execute();
  const kept = waiting.filter((action) => !mayDisable && action.requestedById !== null);
  for (const action of waiting)
    if (!kept.includes(action)) await cancelAction(db, action, actor, "the device was found", context);
  if (kept.length)
    await notify(db, {
      permission: "device.disable",
      school: device.orgUnitPath,
      title: `Chromebook ${device.serialNumber ?? device.deviceId} marked found`,
      body: `${actor.name} marked it found, but the disable ${kept.map((a) => a.requestedByName).join(" and ")} asked for has not gone out yet and still will. If the device should stay in use, re-enable it once the disable has gone through.`,
      link: `#/devices/${encodeURIComponent(deviceId)}`,
      at,
    });
  if (!input.reenable) return {};
  // Ended between these reads or not, a disable shows in one of them: the worker writes the
  // device's status in the same transaction as the disable's end.
  const inFlight = await db
    .selectFrom("deviceActions")
    .select("id")
    .where("deviceId", "=", deviceId)
    .where("kind", "=", "disable")
    .where("state", "in", ["requested", "sent"])
    .executeTakeFirst();
  const current = await db.selectFrom("devices").select("status").where("deviceId", "=", deviceId).executeTakeFirst();
  // Recorded after the disable it follows: the worker sends a device's actions in that order.
  if (current?.status !== "DISABLED" && !inFlight) return {};
  const [reenable] = await recordActions(
    db,
    actor,
    [
      {
        device,
        kind: "reenable",
        reason: `Found: ${input.note}`,
        ticketNumber: missing?.ticketNumber ?? undefined,
      },
    ],
    context,
  );
  return { reenable };
}

export async function listMissing(db: Kysely<Database>, staff: StaffPrincipal): Promise<MissingDevice[]> {
  const rows = await db
    .selectFrom("missingDevices")
    .innerJoin("devices", "devices.deviceId", "missingDevices.deviceId")
    .selectAll("devices")
    .select([
      "missingDevices.since",
      "missingDevices.reason as missingReason",
      "missingDevices.markedByName",
      "missingDevices.ticketNumber",
      "missingDevices.assignedUser",
    ])
    .orderBy("missingDevices.since", "desc")
    .execute();
  const visible = rows.filter((r) => isAllowed(staff.grants, "device.read", r.orgUnitPath));
  const actions = visible.length
    ? await db
        .selectFrom("deviceActions")
        .selectAll()
        .where(
          "deviceId",
          "in",
          visible.map((r) => r.deviceId),
        )
        .orderBy("createdAt", "desc")
        .execute()
    : [];
  return visible.map((r) => {
    const last = actions.find((a) => a.deviceId === r.deviceId);
    return {
      device: toInventoryDevice(r),
      since: r.since,
      reason: r.missingReason,
      markedBy: r.markedByName,
      ticketNumber: orUndefined(r.ticketNumber),
      assignedUser: orUndefined(r.assignedUser),
      lastAction: last && toDeviceAction(last),
    };
  });
}

/**
 * Bulk: one serial or asset tag a line. Google's serial query matches partially, so only exact
 * (case-insensitive) matches count; a line that matches several devices is shown, not acted on.
 */
export async function matchDevices(db: Kysely<Database>, staff: StaffPrincipal, text: string): Promise<MatchLine[]> {
  const inputs = text
    .split(/[\r\n,\t;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (inputs.length > 2000)
    throw new ApiError(400, "bad_request", "Paste at most 2,000 serials or asset tags at once.");
  const upper = [...new Set(inputs.map((s) => s.toUpperCase()))];
  const rows: DeviceRow[] = [];
  for (let i = 0; i < upper.length; i += 400) {
    const part = upper.slice(i, i + 400);
    rows.push(
      ...(await db
        .selectFrom("devices")
        .selectAll()
        .where("removedAt", "is", null)
        .where((eb) =>
          eb.or([
            eb(eb.fn("upper", ["serialNumber"]), "in", part),
            eb(eb.fn("upper", ["annotatedAssetId"]), "in", part),
          ]),
        )
        .execute()),
    );
  }
  const visible = rows.filter((r) => isAllowed(staff.grants, "device.read", r.orgUnitPath));
  return inputs.map((input, index) => {
    const key = input.toUpperCase();
    const found = new Map<string, DeviceRow>();
    for (const r of visible)
      if (r.serialNumber?.toUpperCase() === key || r.annotatedAssetId?.toUpperCase() === key) found.set(r.deviceId, r);
    const devices = [...found.values()].map(toInventoryDevice);
    return {
      line: index + 1,
      input,
      outcome: devices.length === 1 ? "matched" : devices.length ? "several" : "none",
      devices,
    };
  });
}

export async function deviceControlsFor(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  device: { deviceId: string; orgUnitPath?: string },
): Promise<DeviceControls> {
  const [missing, loan, recent] = await Promise.all([
    db.selectFrom("missingDevices").selectAll().where("deviceId", "=", device.deviceId).executeTakeFirst(),
    db
      .selectFrom("loans")
      .selectAll()
      .where("deviceId", "=", device.deviceId)
      .where("returnedAt", "is", null)
      .executeTakeFirst(),
    db
      .selectFrom("deviceActions")
      .selectAll()
      .where("deviceId", "=", device.deviceId)
      .orderBy("createdAt", "desc")
      .limit(20)
      .execute(),
  ]);
  const can = (p: Permission) => isAllowed(staff.grants, p, device.orgUnitPath);
  return {
    missing: missing && {
      since: missing.since,
      reason: missing.reason,
      markedBy: missing.markedByName,
      ticketNumber: orUndefined(missing.ticketNumber),
      assignedUser: orUndefined(missing.assignedUser),
    },
    loan: loan && { userEmail: loan.userEmail, lentAt: loan.lentAt, dueAt: loan.dueAt },
    actions: recent.map(toDeviceAction),
    can: {
      markMissing: can("device.mark_missing"),
      disable: can("device.disable"),
      command: can("device.command"),
      loan: can("device.loan"),
    },
  };
}

/** Ends an action that has not been sent: recorded as failed (cancelled), with its audit entry. */
async function cancelAction(
  db: Kysely<Database>,
  action: DeviceActionRow,
  actor: Actor,
  why: string,
  context: { requestId?: string; now: Date },
): Promise<void> {
  await db.transaction().execute((trx) => cancelActionIn(trx, action, actor, why, context));
}

/**
 * Cancels `action` if it has not been claimed yet, inside the caller's transaction: it ends failed
 * with `why`, audited and noted on its ticket. Answers whether it was cancelled (a worker may have
 * claimed it meanwhile: then it is on its way to Google).
 */
export async function cancelActionIn(
  trx: Kysely<Database>,
  action: DeviceActionRow,
  actor: Actor,
  why: string,
  context: { requestId?: string; now: Date },
): Promise<boolean> {
  const at = context.now.toISOString();
  const cancelled = await trx
    .updateTable("deviceActions")
    .set({ state: "failed", error: `Cancelled before it was sent: ${why}.`, finishedAt: at, updatedAt: at })
    .where("id", "=", action.id)
    .where("state", "=", "requested")
    .executeTakeFirst();
  if (!Number(cancelled.numUpdatedRows)) return false;
  await appendAudit(trx, {
    at,
    actorId: actor.id,
    actorName: actor.name,
    action: `${actionName(action)}.cancelled`,
    deviceId: action.deviceId,
    serialNumber: action.serialNumber,
    school: action.school,
    reason: why,
    requestId: context.requestId,
    before: { actionId: action.id, state: "requested" },
    after: { actionId: action.id, state: "failed" },
  });
  await noteOnTicket(
    trx,
    action.ticketNumber,
    actor,
    {
      event: "action_failed",
      action: actionName(action),
      actionId: action.id,
      serialNumber: action.serialNumber,
      error: `cancelled: ${why}`,
    },
    at,
  );
  return true;
}
