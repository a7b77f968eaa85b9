/** The device inventory kept in step with Google, assignment history, and the sync's own state. */
import type { Kysely } from "kysely";
import type { SqlDialect } from "../db";

export function inventoryMigration(dialect: SqlDialect) {
  const serial = dialect === "postgres" ? "serial" : "integer";
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("devices")
        .addColumn("device_id", "text", (c) => c.primaryKey())
        .addColumn("serial_number", "text")
        .addColumn("status", "text")
        .addColumn("org_unit_path", "text")
        .addColumn("model", "text")
        .addColumn("os_version", "text")
        .addColumn("aue_date", "text")
        .addColumn("last_sync", "text")
        .addColumn("annotated_user", "text")
        .addColumn("annotated_asset_id", "text")
        .addColumn("annotated_location", "text")
        .addColumn("notes", "text")
        .addColumn("recent_users", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("mac_address", "text")
        .addColumn("last_known_network", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("battery_health", "text")
        .addColumn("battery_cycle_count", "integer")
        .addColumn("disk_total_bytes", "text")
        .addColumn("disk_free_bytes", "text")
        .addColumn("telemetry_at", "text")
        .addColumn("seen_in_run", "text")
        .addColumn("synced_at", "text", (c) => c.notNull())
        .addColumn("removed_at", "text")
        .execute();
      for (const [name, column] of [
        ["devices_serial", "serial_number"],
        ["devices_asset", "annotated_asset_id"],
        ["devices_user", "annotated_user"],
        ["devices_ou", "org_unit_path"],
      ] as const) {
        await db.schema.createIndex(name).on("devices").column(column).execute();
      }

      await db.schema
        .createTable("device_assignments")
        .addColumn("id", serial, (c) => (dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn("device_id", "text", (c) => c.notNull().references("devices.device_id"))
        .addColumn("user_email", "text", (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("ended_at", "text")
        .execute();
      await db.schema
        .createIndex("device_assignments_device")
        .on("device_assignments")
        .columns(["device_id", "id"])
        .execute();
      await db.schema.createIndex("device_assignments_user").on("device_assignments").column("user_email").execute();

      await db.schema
        .createTable("sync_state")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();

      await db.schema.alterTable("device_enrollments").addColumn("inventory_match", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["sync_state", "device_assignments", "devices"]) await db.schema.dropTable(table).execute();
    },
  };
}
