/**
 * Filter integrity: baseline versions, the latest verdict per OU and rule, the history of every
 * drift (opened, closed), remediations (restore an OU's baseline) with their state, and what each
 * device's extension last reported about its own compliance.
 */
import type { ColumnDefinitionBuilder, Kysely } from "kysely";
import type { SqlDialect } from "../db";

export function filterMigration(dialect: SqlDialect) {
  const serial = dialect === "postgres" ? "serial" : "integer";
  const serialKey = (c: ColumnDefinitionBuilder) =>
    dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement();
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("baselines")
        .addColumn("version", "integer", (c) => c.primaryKey())
        .addColumn("content", "text", (c) => c.notNull())
        .addColumn("saved_by_name", "text", (c) => c.notNull())
        .addColumn("saved_at", "text", (c) => c.notNull())
        .execute();

      await db.schema
        .createTable("filter_state")
        .addColumn("ou_path", "text", (c) => c.notNull())
        .addColumn("rule", "text", (c) => c.notNull())
        .addColumn("ou_id", "text", (c) => c.notNull())
        .addColumn("label", "text", (c) => c.notNull())
        /** pass, drift or missing */
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("expected", "text")
        .addColumn("actual", "text")
        .addColumn("set_by", "text")
        /** When the rule entered this status on this OU. */
        .addColumn("since", "text", (c) => c.notNull())
        .addColumn("last_checked", "text", (c) => c.notNull())
        .addColumn("baseline_version", "integer", (c) => c.notNull())
        .addColumn("ticket_number", "integer")
        .addPrimaryKeyConstraint("filter_state_pk", ["ou_path", "rule"])
        .execute();

      await db.schema
        .createTable("filter_history")
        .addColumn("id", serial, serialKey)
        .addColumn("ou_path", "text", (c) => c.notNull())
        .addColumn("rule", "text", (c) => c.notNull())
        .addColumn("label", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("expected", "text")
        .addColumn("actual", "text")
        .addColumn("set_by", "text")
        .addColumn("first_seen", "text", (c) => c.notNull())
        .addColumn("resolved_at", "text")
        .addColumn("ticket_number", "integer")
        .execute();
      await db.schema.createIndex("filter_history_ou").on("filter_history").columns(["ou_path", "id"]).execute();

      await db.schema
        .createTable("remediations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("ou_path", "text", (c) => c.notNull())
        .addColumn("ou_id", "text", (c) => c.notNull())
        /** queued, applying, applied, failed */
        .addColumn("state", "text", (c) => c.notNull())
        /** JSON: the writes, as the dry run showed them. */
        .addColumn("changes", "text", (c) => c.notNull())
        .addColumn("requested_by_id", "text")
        .addColumn("requested_by_name", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("next_attempt_at", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("claimed_by", "text")
        .addColumn("claimed_until", "text")
        .addColumn("google_answer", "text")
        .addColumn("finished_at", "text")
        .addColumn("error", "text")
        .execute();
      await db.schema
        .createTable("device_compliance")
        .addColumn("device_id", "text", (c) => c.primaryKey())
        .addColumn("reported_at", "text", (c) => c.notNull())
        .addColumn("management_granted", "integer", (c) => c.notNull())
        .addColumn("extensions", "text", (c) => c.notNull())
        .addColumn("proxy_mode", "text")
        .addColumn("proxy_control", "text")
        .addColumn("warnings", "text", (c) => c.notNull().defaultTo("[]"))
        .execute();
      await db.schema
        .createIndex("remediations_state")
        .on("remediations")
        .columns(["state", "next_attempt_at"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["device_compliance", "remediations", "filter_history", "filter_state", "baselines"])
        await db.schema.dropTable(table).execute();
    },
  };
}
