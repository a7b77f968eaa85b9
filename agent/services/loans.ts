/** Loaners: an IT lead lends a device to a student until a due date; overdue loans are locked overnight. */
import type { Kysely } from "kysely";
import { isAllowed } from "../../shared";
import { ApiError } from "../errors";
import { appendAudit } from "../store/audit";
import { isUniqueViolation } from "../store/db";
import type { Database } from "../store/schema";
import { actorOf, cancelActionIn, systemActor } from "./device-actions";
import type { StaffPrincipal } from "./staff-accounts";

/** How the overnight lockdown words an overdue loaner's disable: a return finds the disable by it. */
const overdueLoaner = "Loaner overdue";

export function overdueLoanerReason(borrower: string, dueAt: string): string {
  return `${overdueLoaner}: lent to ${borrower}, due ${dueAt}`;
}

/** The device's open loan, if it is out: there is at most one (the `loans_one_open` index). */
function openLoanOf(db: Kysely<Database>, deviceId: string) {
  return db
    .selectFrom("loans")
    .selectAll()
    .where("deviceId", "=", deviceId)
    .where("returnedAt", "is", null)
    .executeTakeFirst();
}

function alreadyLent(userEmail: string): ApiError {
  return new ApiError(409, "conflict", `This Chromebook is already lent to ${userEmail}.`);
}

async function loanableDevice(db: Kysely<Database>, staff: StaffPrincipal, deviceId: string) {
  const device = await db.selectFrom("devices").selectAll().where("deviceId", "=", deviceId).executeTakeFirst();
  if (!device || !isAllowed(staff.grants, "device.read", device.orgUnitPath))
    throw new ApiError(404, "not_found", "There is no such device you can see.");
  if (!isAllowed(staff.grants, "device.loan", device.orgUnitPath))
    throw new ApiError(403, "forbidden", "Your role does not allow you to lend or take back loaners for this school.");
  return device;
}

export async function lendDevice(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  deviceId: string,
  input: { userEmail: string; dueAt: string },
  context: { requestId?: string; now: Date },
) {
  const device = await loanableDevice(db, staff, deviceId);
  const at = context.now.toISOString();
  const dueAt = new Date(input.dueAt).toISOString();
  if (dueAt <= at) throw new ApiError(400, "bad_request", "The due date must be in the future.");
  if (device.removedAt || device.status !== "ACTIVE")
    throw new ApiError(
      409,
      "conflict",
      `Only an active device can be lent; this one is ${device.status ?? "unknown"}.`,
    );
  try {
    return await db.transaction().execute(async (trx) => {
      const open = await openLoanOf(trx, deviceId);
      if (open) throw alreadyLent(open.userEmail);
      const loan = await trx
        .insertInto("loans")
        .values({
          deviceId,
          userEmail: input.userEmail.toLowerCase(),
          lentAt: at,
          dueAt,
          returnedAt: null,
          lentByName: staff.user.displayName,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendAudit(trx, {
        at,
        actorId: staff.user.id,
        actorName: staff.user.displayName,
        action: "device.loan",
        deviceId,
        serialNumber: device.serialNumber,
        school: device.orgUnitPath,
        reason: `Lent to ${loan.userEmail} until ${dueAt}`,
        requestId: context.requestId,
        before: { loan: null },
        after: { userEmail: loan.userEmail, dueAt },
      });
      return { userEmail: loan.userEmail, lentAt: loan.lentAt, dueAt: loan.dueAt };
    });
  } catch (error) {
    // Another lend committed between our check and our insert, and the one-open-loan index refused ours.
    if (!isUniqueViolation(error)) throw error;
    throw alreadyLent((await openLoanOf(db, deviceId))?.userEmail ?? "someone else");
  }
}

export async function returnLoan(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  deviceId: string,
  context: { requestId?: string; now: Date },
): Promise<void> {
  const device = await loanableDevice(db, staff, deviceId);
  const at = context.now.toISOString();
  await db.transaction().execute(async (trx) => {
    const open = await openLoanOf(trx, deviceId);
    if (!open) throw new ApiError(409, "conflict", "This device is not out on loan.");
    await trx.updateTable("loans").set({ returnedAt: at }).where("id", "=", open.id).execute();
    await appendAudit(trx, {
      at,
      actorId: staff.user.id,
      actorName: staff.user.displayName,
      action: "device.loan_returned",
      deviceId,
      serialNumber: device.serialNumber,
      school: device.orgUnitPath,
      reason: `Returned by ${open.userEmail}`,
      requestId: context.requestId,
      before: { userEmail: open.userEmail, dueAt: open.dueAt },
      after: { loan: null },
    });
    await cancelOverdueDisables(trx, staff, deviceId, context);
  });
}

/**
 * A loaner that is back must not be disabled by the lockdown's overdue disable still waiting to go
 * out (or parked while Google failed): it ends cancelled, as a found device's waiting disable does.
 * One already sent is left to finish.
 */
async function cancelOverdueDisables(
  trx: Kysely<Database>,
  staff: StaffPrincipal,
  deviceId: string,
  context: { now: Date; requestId?: string },
): Promise<void> {
  const waiting = await trx
    .selectFrom("deviceActions")
    .selectAll()
    .where("deviceId", "=", deviceId)
    .where("kind", "=", "disable")
    .where("state", "=", "requested")
    .where("requestedById", "is", null)
    .where("requestedByName", "=", systemActor.name)
    .where("reason", "like", `${overdueLoaner}:%`)
    .execute();
  for (const action of waiting) await cancelActionIn(trx, action, actorOf(staff), "the loaner was returned", context);
}
