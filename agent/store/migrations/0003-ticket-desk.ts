/** The ticket desk: each enrollment and ticket belongs to a school, tickets have an assignee and a timeline. */
import type { Kysely } from "kysely";
import type { SqlDialect } from "../db";

export function ticketDeskMigration(dialect: SqlDialect) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("device_enrollments").addColumn("school", "text").execute();
      for (const column of ["school", "asset_id", "assignee_id"]) {
        await db.schema.alterTable("tickets").addColumn(column, "text").execute();
      }
      await db.schema.createIndex("tickets_school_number").on("tickets").columns(["school", "number"]).execute();
      await db.schema.createIndex("tickets_status_number").on("tickets").columns(["status", "number"]).execute();
      await db.schema.createIndex("tickets_updated").on("tickets").columns(["updated_at", "number"]).execute();
      await db.schema.createIndex("tickets_serial").on("tickets").column("serial_number").execute();
      await db.schema.createIndex("tickets_asset").on("tickets").column("asset_id").execute();
      await db.schema.createIndex("tickets_user_email").on("tickets").column("user_email").execute();

      await db.schema
        .createTable("ticket_events")
        .addColumn("id", dialect === "postgres" ? "serial" : "integer", (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("ticket_number", "integer", (c) => c.notNull().references("tickets.number"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("actor_id", "text")
        .addColumn("actor_name", "text", (c) => c.notNull())
        .addColumn("detail", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("ticket_events_ticket")
        .on("ticket_events")
        .columns(["ticket_number", "id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("ticket_events").execute();
    },
  };
}
