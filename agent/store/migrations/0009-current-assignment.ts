/**
 * A device's current assignment lives on the device (`assigned_since` beside `annotated_user`), and
 * `device_assignments` keeps the ended ones. The first sync of a district no longer writes a history
 * row for every assigned device (a fifth of its work): history grows only when something changes.
 * An open assignment becomes `assigned_since`; one that no longer matches its device is ended now.
 */
import { type Kysely, sql } from "kysely";

export const currentAssignmentMigration = {
  async up(db: Kysely<unknown>) {
    const now = new Date().toISOString();
    await db.schema.alterTable("devices").addColumn("assigned_since", "text").execute();
    await sql`
      update devices set assigned_since = (
        select a.started_at from device_assignments a
        where a.device_id = devices.device_id and a.ended_at is null and a.user_email = devices.annotated_user
        order by a.id desc limit 1)`.execute(db);
    await sql`
      delete from device_assignments
      where ended_at is null and exists (
        select 1 from devices d
        where d.device_id = device_assignments.device_id
          and d.annotated_user = device_assignments.user_email
          and d.assigned_since = device_assignments.started_at)`.execute(db);
    await sql`update device_assignments set ended_at = ${now} where ended_at is null`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`
      insert into device_assignments (device_id, user_email, started_at, ended_at)
      select device_id, annotated_user, assigned_since, null from devices
      where annotated_user is not null and assigned_since is not null`.execute(db);
    await db.schema.alterTable("devices").dropColumn("assigned_since").execute();
  },
};
