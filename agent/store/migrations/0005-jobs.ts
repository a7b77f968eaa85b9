/** Scheduled jobs: a lease row per job so one replica runs it, and a record of every run. */
import type { Kysely } from "kysely";
import type { SqlDialect } from "../db";

export function jobsMigration(dialect: SqlDialect) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("job_leases")
        .addColumn("job", "text", (c) => c.primaryKey())
        .addColumn("holder", "text", (c) => c.notNull())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("job_runs")
        .addColumn("id", dialect === "postgres" ? "serial" : "integer", (c) =>
          dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn("job", "text", (c) => c.notNull())
        /** The scheduled tick this run is for, or manual:<id>: one run per job and slot. */
        .addColumn("slot", "text", (c) => c.notNull())
        .addColumn("trigger", "text", (c) => c.notNull())
        .addColumn("holder", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("finished_at", "text")
        .addColumn("duration_ms", "integer")
        .addColumn("error", "text")
        .addColumn("detail", "text", (c) => c.notNull().defaultTo("{}"))
        .addUniqueConstraint("job_runs_job_slot", ["job", "slot"])
        .execute();
      await db.schema.createIndex("job_runs_job_started").on("job_runs").columns(["job", "id"]).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("job_runs").execute();
      await db.schema.dropTable("job_leases").execute();
    },
  };
}
