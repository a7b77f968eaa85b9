/** Console notifications: addressed to whoever holds a permission in a school, read per person. */
import type { Kysely } from "kysely";
import { isAllowed, type Notification, type Permission } from "../../shared";
import { ApiError } from "../errors";
import type { Database } from "../store/schema";
import { orUndefined } from "../store/values";
import type { StaffPrincipal } from "./staff-accounts";

const visibleTo = (staff: StaffPrincipal, row: { permission: string; school: string }) =>
  isAllowed(staff.grants, row.permission as Permission, row.school === "*" ? null : row.school);

export async function notificationsFor(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  limit = 30,
): Promise<{ unread: number; notifications: Notification[] }> {
  // Recent ones only: a console bell, not an archive (the audit log is the record).
  const rows = await db
    .selectFrom("notifications")
    .leftJoin("notificationReads", (join) =>
      join
        .onRef("notificationReads.notificationId", "=", "notifications.id")
        .on("notificationReads.userId", "=", staff.user.id),
    )
    .select([
      "notifications.id",
      "notifications.permission",
      "notifications.school",
      "notifications.title",
      "notifications.body",
      "notifications.link",
      "notifications.createdAt",
      "notificationReads.userId as readBy",
    ])
    .orderBy("notifications.id", "desc")
    .limit(500)
    .execute();
  const visible = rows.filter((r) => visibleTo(staff, r));
  return {
    unread: visible.filter((r) => !r.readBy).length,
    notifications: visible.slice(0, limit).map((r) => ({
      id: r.id,
      title: r.title,
      body: r.body,
      link: orUndefined(r.link),
      createdAt: r.createdAt,
      read: Boolean(r.readBy),
    })),
  };
}

export async function markRead(db: Kysely<Database>, staff: StaffPrincipal, ids: number[] | "all"): Promise<void> {
  const visible = (await notificationsFor(db, staff, 500)).notifications.filter((n) => !n.read);
  const wanted = ids === "all" ? visible : visible.filter((n) => ids.includes(n.id));
  if (ids !== "all" && ids.some((id) => !visible.some((n) => n.id === id))) {
    const known = await db.selectFrom("notifications").selectAll().where("id", "in", ids).execute();
    if (known.some((n) => !visibleTo(staff, n)) || known.length < ids.length)
      throw new ApiError(404, "not_found", "There is no such notification for you.");
  }
  if (!wanted.length) return;
  await db
    .insertInto("notificationReads")
    .values(wanted.map((n) => ({ notificationId: n.id, userId: staff.user.id })))
    .onConflict((oc) => oc.columns(["notificationId", "userId"]).doNothing())
    .execute();
}
