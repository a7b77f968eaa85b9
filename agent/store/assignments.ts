/**
 * Device ↔ student assignments. The open one lives on the device (`annotated_user` since
 * `assigned_since`); `device_assignments` records the ended ones. The sync, lost and found all
 * follow these rules, on either database.
 */
import type { Kysely } from "kysely";
import { sqliteHandle } from "./db";
import type { Database } from "./schema";

export interface OpenAssignment {
  user: string | null;
  since: string | null;
}

/**
 * A device's assignment after a sync sees `user` on it: kept while the user stays; when the user
 * changes (or the device is new), the open assignment, if any, has ended and the new one starts now.
 * A device with no user has none; a missing device has none open until it is found.
 */
export function nextAssignment(
  before: OpenAssignment | undefined,
  user: string | null | undefined,
  at: string,
): { since: string | null; ended?: { user: string; since: string } } {
  const current = user || null;
  if (before && (before.user || null) === current) return { since: before.since };
  const ended = before?.user && before.since ? { user: before.user, since: before.since } : undefined;
  return { since: current ? at : null, ...(ended ? { ended } : {}) };
}

/**
 * Ends the device's open assignment at `at` (a device marked missing), recording it as ended. Inside
 * the caller's transaction; on PostgreSQL the device's row stays locked until it ends, so a sync
 * writing the device meanwhile waits and then sees the assignment ended (SQLite has one writer).
 */
export async function endAssignment(db: Kysely<Database>, deviceId: string, at: string): Promise<void> {
  const open = await db
    .selectFrom("devices")
    .select(["annotatedUser", "assignedSince"])
    .where("deviceId", "=", deviceId)
    .$if(!sqliteHandle(db), (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (!open?.annotatedUser || !open.assignedSince) return;
  await db
    .insertInto("deviceAssignments")
    .values({ deviceId, userEmail: open.annotatedUser, startedAt: open.assignedSince, endedAt: at })
    .execute();
  await db.updateTable("devices").set({ assignedSince: null }).where("deviceId", "=", deviceId).execute();
}

/**
 * Starts the device's assignment to its user again at `at` (a missing device found), unless one is
 * open already (a sync saw a new user meanwhile) or it has no user.
 */
export async function resumeAssignment(db: Kysely<Database>, deviceId: string, at: string): Promise<void> {
  await db
    .updateTable("devices")
    .set({ assignedSince: at })
    .where("deviceId", "=", deviceId)
    .where("annotatedUser", "is not", null)
    .where("assignedSince", "is", null)
    .execute();
}
