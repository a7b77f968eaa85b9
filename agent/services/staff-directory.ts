/** The users and roles page: district admins add staff, change their roles per school, and disable them. */
import type { Kysely } from "kysely";
import { isAllowed, type RoleGrant, type StaffMember } from "../../shared";
import { hashPassword } from "../auth/passwords";
import { ApiError } from "../errors";
import { appendAudit } from "../store/audit";
import { isUniqueViolation } from "../store/db";
import type { Database } from "../store/schema";
import * as staff from "../store/staff";
import { createStaffUser, type StaffPrincipal } from "./staff-accounts";

export async function listStaff(db: Kysely<Database>): Promise<StaffMember[]> {
  return staff.listStaffUsers(db);
}

/** People who may work tickets in `school`: the assign list. */
export async function assigneesFor(db: Kysely<Database>, school: string | null) {
  const everyone = await staff.listStaffUsers(db);
  return everyone
    .filter((u) => !u.disabled && isAllowed(u.grants, "ticket.read", school))
    .map((u) => ({ id: u.id, name: u.displayName, email: u.email }));
}

interface AdminContext {
  requestId?: string;
  now: Date;
}

/** The account an audit entry is about, named in its before and after. */
type AuditTarget = { userId: string; email: string };

/**
 * Appends one account change to the audit log, inside the change's transaction. Accounts are
 * district-wide, so the entry has no school. Passwords and hashes never go in.
 */
function auditAccountChange(
  trx: Kysely<Database>,
  actor: StaffPrincipal,
  context: AdminContext,
  entry: { action: string; reason: string; before?: object; after: object },
) {
  return appendAudit(trx, {
    at: context.now.toISOString(),
    actorId: actor.user.id,
    actorName: actor.user.displayName,
    requestId: context.requestId,
    ...entry,
  });
}

export async function addStaff(
  db: Kysely<Database>,
  actor: StaffPrincipal,
  input: { email: string; displayName: string; password?: string; grants: RoleGrant[] },
  context: AdminContext,
): Promise<string> {
  try {
    return await createStaffUser(db, input, context.now, (trx, target) =>
      auditAccountChange(trx, actor, context, {
        action: "user.added",
        reason: `Added ${target.email}`,
        before: { account: null },
        after: { ...target, displayName: input.displayName, grants: input.grants },
      }),
    );
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ApiError(409, "conflict", `There is already an account for ${input.email}.`);
    throw error;
  }
}

export async function changeStaff(
  db: Kysely<Database>,
  actor: StaffPrincipal,
  userId: string,
  change: { displayName?: string; password?: string; grants?: RoleGrant[]; disabled?: boolean },
  context: AdminContext,
): Promise<void> {
  if (userId === actor.user.id && (change.disabled || change.grants)) {
    throw new ApiError(
      400,
      "bad_request",
      "You cannot disable yourself or change your own roles; ask another district admin.",
    );
  }
  const passwordHash = change.password ? await hashPassword(change.password) : undefined;
  await db.transaction().execute(async (trx) => {
    const user = await staff.findStaffUser(trx, userId);
    if (!user) throw new ApiError(404, "not_found", "There is no such account.");
    const target: AuditTarget = { userId, email: user.email };
    const audit = (entry: Parameters<typeof auditAccountChange>[3]) => auditAccountChange(trx, actor, context, entry);
    const grantsBefore = change.grants ? await staff.grantsOf(trx, userId) : [];
    const wasDisabled = Boolean(user.disabled);
    await staff.updateStaffUser(trx, userId, {
      ...(change.displayName ? { displayName: change.displayName } : {}),
      ...(passwordHash ? { passwordHash } : {}),
      ...(change.disabled === undefined ? {} : { disabled: change.disabled ? 1 : 0 }),
    });
    if (change.grants) await staff.replaceGrants(trx, userId, change.grants);
    // A disabled account, new roles or a new password end the person's sessions.
    if (change.disabled || change.grants || passwordHash) await staff.deleteSessionsOf(trx, userId);

    if (change.displayName && change.displayName !== user.displayName)
      await audit({
        action: "user.renamed",
        reason: `Renamed ${user.email}`,
        before: { ...target, displayName: user.displayName },
        after: { ...target, displayName: change.displayName },
      });
    if (change.grants)
      await audit({
        action: "user.roles_changed",
        reason: `Changed the roles of ${user.email}`,
        before: { ...target, grants: grantsBefore },
        after: { ...target, grants: change.grants },
      });
    if (passwordHash)
      await audit({ action: "user.password_reset", reason: `Set a new password for ${user.email}`, after: target });
    if (change.disabled !== undefined && change.disabled !== wasDisabled)
      await audit({
        action: change.disabled ? "user.disabled" : "user.enabled",
        reason: `${change.disabled ? "Disabled" : "Enabled"} ${user.email}`,
        before: { ...target, disabled: wasDisabled },
        after: { ...target, disabled: change.disabled },
      });
  });
}
