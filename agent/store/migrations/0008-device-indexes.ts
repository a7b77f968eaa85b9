/**
 * The inventory's indexes, matched to the queries that read it. Search and the lost-device bulk
 * match compare serials and asset tags case-blind (`upper(…)`), which a plain column index cannot
 * serve; the student search is a contains-match and the school scope a prefix test, which no index
 * serves; nothing looks assignments up by student. Those four indexes only cost every write (a
 * third of a district-sized sync), so they go, and the two lookups that can use one get it.
 */
import { type Kysely, sql } from "kysely";

export const deviceIndexesMigration = {
  async up(db: Kysely<unknown>) {
    for (const name of ["devices_serial", "devices_asset", "devices_user", "devices_ou", "device_assignments_user"])
      await db.schema.dropIndex(name).execute();
    await db.schema.createIndex("devices_serial_upper").on("devices").expression(sql`upper(serial_number)`).execute();
    await db.schema
      .createIndex("devices_asset_upper")
      .on("devices")
      .expression(sql`upper(annotated_asset_id)`)
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex("devices_asset_upper").execute();
    await db.schema.dropIndex("devices_serial_upper").execute();
    for (const [name, table, column] of [
      ["devices_serial", "devices", "serial_number"],
      ["devices_asset", "devices", "annotated_asset_id"],
      ["devices_user", "devices", "annotated_user"],
      ["devices_ou", "devices", "org_unit_path"],
      ["device_assignments_user", "device_assignments", "user_email"],
    ] as const)
      await db.schema.createIndex(name).on(table).column(column).execute();
  },
};
