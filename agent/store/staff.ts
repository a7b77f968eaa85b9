/** Staff accounts, role grants and sessions. */
import type { Insertable, Kysely, Transaction } from "kysely";
import type { RoleGrant } from "../../shared";
import type { Database, StaffSessionTable, StaffUserRow, StaffUserTable } from "./schema";

type Db = Kysely<Database> | Transaction<Database>;

export async function insertStaffUser(db: Db, user: Insertable<StaffUserTable>, grants: RoleGrant[]): Promise<void> {
  await db.insertInto("staffUsers").values(user).execute();
  if (grants.length) {
    await db
      .insertInto("staffRoleGrants")
      .values(grants.map((g) => ({ userId: user.id, role: g.role, school: g.school })))
      .execute();
  }
}

export function findStaffUserByEmail(db: Db, email: string): Promise<StaffUserRow | undefined> {
  return db.selectFrom("staffUsers").selectAll().where("email", "=", email.trim().toLowerCase()).executeTakeFirst();
}

export function findStaffUser(db: Db, id: string): Promise<StaffUserRow | undefined> {
  return db.selectFrom("staffUsers").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function grantsOf(db: Db, userId: string): Promise<RoleGrant[]> {
  const rows = await db.selectFrom("staffRoleGrants").select(["role", "school"]).where("userId", "=", userId).execute();
  return rows as RoleGrant[];
}

/**
 * Counts one failed sign-in and locks the account until `lockUntil` once the count reaches
 * `maxFailures`. One UPDATE working from the row as it is now, not as the caller read it: failures
 * that race each other all count, and none clears or shortens a lock another one set. (The right
 * side of SET sees the row before the update on SQLite and PostgreSQL alike.)
 */
export async function recordSignInFailure(
  db: Db,
  userId: string,
  maxFailures: number,
  lockUntil: string,
): Promise<void> {
  await db
    .updateTable("staffUsers")
    .set((eb) => ({
      failedSignIns: eb("failedSignIns", "+", 1),
      lockedUntil: eb
        .case()
        .when(
          eb.and([
            eb(eb("failedSignIns", "+", 1), ">=", maxFailures),
            eb.or([eb("lockedUntil", "is", null), eb("lockedUntil", "<", lockUntil)]),
          ]),
        )
        .then(lockUntil)
        .else(eb.ref("lockedUntil"))
        .end(),
    }))
    .where("id", "=", userId)
    .execute();
}

/**
 * Forgets the failures after a right password, unless the account is locked at `now` (a lock set
 * by failures racing this sign-in stays on). Answers whether it did.
 */
export async function clearSignInFailures(db: Db, userId: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable("staffUsers")
    .set({ failedSignIns: 0, lockedUntil: null })
    .where("id", "=", userId)
    .where((eb) => eb.or([eb("lockedUntil", "is", null), eb("lockedUntil", "<=", now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertSession(db: Db, session: Insertable<StaffSessionTable>): Promise<void> {
  await db.insertInto("staffSessions").values(session).execute();
}

export function findSession(db: Db, idHash: string) {
  return db.selectFrom("staffSessions").selectAll().where("idHash", "=", idHash).executeTakeFirst();
}

export async function touchSession(db: Db, idHash: string, at: string): Promise<void> {
  await db.updateTable("staffSessions").set({ lastSeenAt: at }).where("idHash", "=", idHash).execute();
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom("staffSessions").where("idHash", "=", idHash).execute();
}

export async function deleteSessionsOf(db: Db, userId: string): Promise<number> {
  const result = await db.deleteFrom("staffSessions").where("userId", "=", userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function listStaffUsers(db: Db) {
  const [users, grants] = await Promise.all([
    db.selectFrom("staffUsers").select(["id", "email", "displayName", "disabled"]).orderBy("displayName").execute(),
    db.selectFrom("staffRoleGrants").selectAll().execute(),
  ]);
  return users.map((u) => ({
    ...u,
    disabled: Boolean(u.disabled),
    grants: grants.filter((g) => g.userId === u.id).map((g) => ({ role: g.role, school: g.school }) as RoleGrant),
  }));
}

export async function replaceGrants(db: Db, userId: string, grants: RoleGrant[]): Promise<void> {
  await db.deleteFrom("staffRoleGrants").where("userId", "=", userId).execute();
  if (grants.length) {
    await db
      .insertInto("staffRoleGrants")
      .values(grants.map((g) => ({ userId, role: g.role, school: g.school })))
      .execute();
  }
}

export async function updateStaffUser(
  db: Db,
  userId: string,
  change: Partial<{ displayName: string; passwordHash: string; disabled: number }>,
): Promise<void> {
  if (Object.keys(change).length) await db.updateTable("staffUsers").set(change).where("id", "=", userId).execute();
}
