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

export async function recordSignInFailure(db: Db, userId: string, lockedUntil: string | null): Promise<void> {
  await db
    .updateTable("staffUsers")
    .set((eb) => ({ failedSignIns: eb("failedSignIns", "+", 1), lockedUntil }))
    .where("id", "=", userId)
    .execute();
}

export async function clearSignInFailures(db: Db, userId: string): Promise<void> {
  await db.updateTable("staffUsers").set({ failedSignIns: 0, lockedUntil: null }).where("id", "=", userId).execute();
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
