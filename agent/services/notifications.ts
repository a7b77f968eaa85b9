/**
 * Console notifications: addressed to whoever holds a permission in a school, or, where no
 * permission is one role's alone (coaches, building admins), to whoever holds that role there.
 * Read per person.
 */
import type { ExpressionBuilder, Kysely } from "kysely";
import { type Notification, type Permission, rolePermissions, type StaffRole, schoolWithin } from "../../shared";
import { ApiError } from "../errors";
import type { Database } from "../store/schema";
import { withinSchools } from "../store/ticket-desk";
import { orUndefined } from "../store/values";
import type { StaffPrincipal } from "./staff-accounts";

/**
 * What a notification for a role holds in place of a permission. No permission is spelt this way, so
 * a permission never reaches a role's notifications, nor a role a permission's.
 */
function roleAddress(role: StaffRole): string {
  return `role:${role}`;
}

/**
 * `isAllowed` as SQL: a notification reaches a person when one grant holds its permission (or is
 * its role) in its school (`*`, district-wide, only through a district-wide grant). Filtered in the
 * query, before any limit, so another school's flood never hides this person's own notifications.
 */
function visibleTo(staff: StaffPrincipal) {
  return (eb: ExpressionBuilder<Database, "notifications">) =>
    eb.or(
      staff.grants.map((grant) =>
        eb.and([
          eb("notifications.permission", "in", [...rolePermissions[grant.role], roleAddress(grant.role)]),
          withinSchools<"notifications">(
            grant.school === "*" ? { all: true } : { all: false, schools: [grant.school] },
            "notifications.school",
          )(eb),
        ]),
      ),
    );
}

/** True when someone whose account is enabled holds `role` in `school` (a null school: district-wide). */
export async function someoneHoldsRole(db: Kysely<Database>, role: StaffRole, school: string | null): Promise<boolean> {
  const grants = await db
    .selectFrom("staffRoleGrants")
    .innerJoin("staffUsers", "staffUsers.id", "staffRoleGrants.userId")
    .select("staffRoleGrants.school")
    .where("staffRoleGrants.role", "=", role)
    .where("staffUsers.disabled", "=", 0)
    .execute();
  return grants.some((grant) => (school ? schoolWithin(school, grant.school) : grant.school === "*"));
}

/**
 * Tells whoever holds `permission` in `school`, or, where no permission is theirs alone, whoever
 * holds `role` there (a null school: district-wide grants only).
 */
export async function notify(
  trx: Kysely<Database>,
  input: ({ permission: Permission } | { role: StaffRole }) & {
    school: string | null;
    title: string;
    body: string;
    link?: string;
    at: string;
  },
): Promise<void> {
  await trx
    .insertInto("notifications")
    .values({
      permission: "role" in input ? roleAddress(input.role) : input.permission,
      school: input.school ?? "*",
      title: input.title,
      body: input.body,
      link: input.link ?? null,
      createdAt: input.at,
    })
    .execute();
}

function withReads(db: Kysely<Database>, staff: StaffPrincipal) {
  return db
    .selectFrom("notifications")
    .leftJoin("notificationReads", (join) =>
      join
        .onRef("notificationReads.notificationId", "=", "notifications.id")
        .on("notificationReads.userId", "=", staff.user.id),
    )
    .where(visibleTo(staff));
}

export async function notificationsFor(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  limit = 30,
): Promise<{ unread: number; notifications: Notification[] }> {
  // Recent ones only: a console bell, not an archive (the audit log is the record).
  const [rows, unread] = await Promise.all([
    withReads(db, staff)
      .select([
        "notifications.id",
        "notifications.title",
        "notifications.body",
        "notifications.link",
        "notifications.createdAt",
        "notificationReads.userId as readBy",
      ])
      .orderBy("notifications.id", "desc")
      .limit(limit)
      .execute(),
    withReads(db, staff)
      .where("notificationReads.userId", "is", null)
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  return {
    unread: Number(unread.n),
    notifications: rows.map((r) => ({
      id: r.id,
      title: r.title,
      body: r.body,
      link: orUndefined(r.link),
      createdAt: r.createdAt,
      read: Boolean(r.readBy),
    })),
  };
}

/** Marks these notifications (or every one this person can see) read; 404 when an id is not theirs. */
export async function markRead(db: Kysely<Database>, staff: StaffPrincipal, ids: number[] | "all"): Promise<void> {
  if (ids === "all") {
    await db
      .insertInto("notificationReads")
      .columns(["notificationId", "userId"])
      .expression(
        withReads(db, staff)
          .where("notificationReads.userId", "is", null)
          .select((eb) => ["notifications.id", eb.cast<string>(eb.val(staff.user.id), "text").as("userId")]),
      )
      .onConflict((oc) => oc.columns(["notificationId", "userId"]).doNothing())
      .execute();
    return;
  }
  const wanted = [...new Set(ids)];
  if (!wanted.length) return;
  const visible = await db
    .selectFrom("notifications")
    .select("notifications.id")
    .where("notifications.id", "in", wanted)
    .where(visibleTo(staff))
    .execute();
  if (visible.length < wanted.length) throw new ApiError(404, "not_found", "There is no such notification for you.");
  await db
    .insertInto("notificationReads")
    .values(visible.map((n) => ({ notificationId: n.id, userId: staff.user.id })))
    .onConflict((oc) => oc.columns(["notificationId", "userId"]).doNothing())
    .execute();
}
