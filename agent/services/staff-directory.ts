/** The users and roles page: district admins add staff, change their roles per school, and disable them. */
import type { Kysely } from "kysely";
import { isAllowed, type RoleGrant, type StaffMember } from "../../shared";
import { hashPassword } from "../auth/passwords";
import { ApiError } from "../errors";
import { isUniqueViolation } from "../store/db";
import type { Database } from "../store/schema";
import * as staff from "../store/staff";
import { createStaffUser } from "./staff-accounts";

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

export async function addStaff(
  db: Kysely<Database>,
  input: { email: string; displayName: string; password?: string; grants: RoleGrant[] },
  now: Date,
): Promise<string> {
  try {
    return await createStaffUser(db, input, now);
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ApiError(409, "conflict", `There is already an account for ${input.email}.`);
    throw error;
  }
}

export async function changeStaff(
  db: Kysely<Database>,
  actorId: string,
  userId: string,
  change: { displayName?: string; password?: string; grants?: RoleGrant[]; disabled?: boolean },
): Promise<void> {
  const user = await staff.findStaffUser(db, userId);
  if (!user) throw new ApiError(404, "not_found", "There is no such account.");
  if (userId === actorId && (change.disabled || change.grants)) {
    throw new ApiError(
      400,
      "bad_request",
      "You cannot disable yourself or change your own roles; ask another district admin.",
    );
  }
  const passwordHash = change.password ? await hashPassword(change.password) : undefined;
  await db.transaction().execute(async (trx) => {
    await staff.updateStaffUser(trx, userId, {
      ...(change.displayName ? { displayName: change.displayName } : {}),
      ...(passwordHash ? { passwordHash } : {}),
      ...(change.disabled === undefined ? {} : { disabled: change.disabled ? 1 : 0 }),
    });
    if (change.grants) await staff.replaceGrants(trx, userId, change.grants);
    // A disabled account, new roles or a new password end the person's sessions.
    if (change.disabled || change.grants || passwordHash) await staff.deleteSessionsOf(trx, userId);
  });
}
