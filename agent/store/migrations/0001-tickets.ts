/** Enrollments, reports, tickets and idempotency records. */
import type { Kysely } from "kysely";
import type { SqlDialect } from "../db";

export function ticketsMigration(dialect: SqlDialect) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("device_enrollments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("directory_device_id", "text")
        .addColumn("serial_number", "text")
        .addColumn("asset_id", "text")
        .addColumn("credential_hash", "text", (c) => c.notNull().unique())
        .addColumn("extension_version", "text")
        .addColumn("enrolled_at", "text", (c) => c.notNull())
        .addColumn("last_seen_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("device_enrollments_directory_id")
        .on("device_enrollments")
        .column("directory_device_id")
        .execute();

      await db.schema
        .createTable("reports")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("enrollment_id", "text", (c) => c.notNull().references("device_enrollments.id"))
        .addColumn("idempotency_key", "text", (c) => c.notNull())
        .addColumn("category", "text", (c) => c.notNull())
        .addColumn("note", "text")
        .addColumn("screenshot", "text")
        .addColumn("diagnostics", "text", (c) => c.notNull())
        .addColumn("client_time", "text", (c) => c.notNull())
        .addColumn("received_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("tickets")
        .addColumn("number", dialect === "postgres" ? "serial" : "integer", (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("report_id", "text", (c) => c.notNull().unique().references("reports.id"))
        .addColumn("enrollment_id", "text", (c) => c.notNull().references("device_enrollments.id"))
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("queue", "text", (c) => c.notNull())
        .addColumn("tier", "integer", (c) => c.notNull())
        .addColumn("category", "text", (c) => c.notNull())
        .addColumn("note", "text")
        .addColumn("serial_number", "text")
        .addColumn("directory_device_id", "text")
        .addColumn("user_email", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("tickets_enrollment").on("tickets").column("enrollment_id").execute();
      await db.schema
        .createIndex("tickets_queue_status")
        .on("tickets")
        .columns(["queue", "status", "number"])
        .execute();

      await db.schema
        .createTable("idempotency_records")
        .addColumn("enrollment_id", "text", (c) => c.notNull().references("device_enrollments.id"))
        .addColumn("idempotency_key", "text", (c) => c.notNull())
        .addColumn("request_hash", "text", (c) => c.notNull())
        .addColumn("ticket_number", "integer", (c) => c.notNull().references("tickets.number"))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("idempotency_records_pk", ["enrollment_id", "idempotency_key"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["idempotency_records", "tickets", "reports", "device_enrollments"]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
