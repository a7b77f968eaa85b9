/**
 * Lost and stolen devices and MDM actions: every action a durable record that moves
 * requested → sent → confirmed | failed, devices marked missing, loaners lent out, notifications
 * for staff, and the append-only audit log (hash-chained; the database refuses updates and deletes).
 */
import { type ColumnDefinitionBuilder, type Kysely, sql } from "kysely";
import type { SqlDialect } from "../db";

export function deviceActionsMigration(dialect: SqlDialect) {
  const serial = dialect === "postgres" ? "serial" : "integer";
  const serialKey = (c: ColumnDefinitionBuilder) =>
    dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement();
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("device_actions")
        .addColumn("id", "text", (c) => c.primaryKey())
        /** Actions requested together (one bulk disable) share a batch. */
        .addColumn("batch_id", "text", (c) => c.notNull())
        /** disable, reenable, deprovision or command */
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("command_type", "text")
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("serial_number", "text")
        /** The device's OU when the action was requested: who may see the action. */
        .addColumn("school", "text")
        /** requested, sent, confirmed, failed */
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("deprovision_reason", "text")
        .addColumn("ticket_number", "integer")
        .addColumn("requested_by_id", "text")
        .addColumn("requested_by_name", "text", (c) => c.notNull())
        .addColumn("request_id", "text")
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "text", (c) => c.notNull())
        /** The worker holding a sent action, and until when: a crashed holder's claim lapses. */
        .addColumn("claimed_by", "text")
        .addColumn("claimed_until", "text")
        .addColumn("command_id", "text")
        .addColumn("command_state", "text")
        /** JSON: Google's answer for this device (batch result, command and its result). */
        .addColumn("result", "text")
        .addColumn("error", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addColumn("finished_at", "text")
        .execute();
      await db.schema
        .createIndex("device_actions_due")
        .on("device_actions")
        .columns(["state", "next_attempt_at"])
        .execute();
      await db.schema
        .createIndex("device_actions_device")
        .on("device_actions")
        .columns(["device_id", "created_at"])
        .execute();
      await db.schema.createIndex("device_actions_batch").on("device_actions").column("batch_id").execute();
      // One open action of a kind per device: asking twice, even at the same instant, acts once.
      await sql`create unique index device_actions_one_open on device_actions
        (device_id, kind, coalesce(command_type, '')) where state in ('requested', 'sent')`.execute(db);

      await db.schema
        .createTable("missing_devices")
        .addColumn("device_id", "text", (c) => c.primaryKey())
        .addColumn("since", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("marked_by_id", "text")
        .addColumn("marked_by_name", "text", (c) => c.notNull())
        .addColumn("ticket_number", "integer")
        /** The student the device was assigned to: restored when it is found. */
        .addColumn("assigned_user", "text")
        .execute();

      await db.schema
        .createTable("loans")
        .addColumn("id", serial, serialKey)
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("user_email", "text", (c) => c.notNull())
        .addColumn("lent_at", "text", (c) => c.notNull())
        .addColumn("due_at", "text", (c) => c.notNull())
        .addColumn("returned_at", "text")
        .addColumn("lent_by_name", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("loans_device").on("loans").columns(["device_id", "id"]).execute();
      await db.schema.createIndex("loans_due").on("loans").columns(["returned_at", "due_at"]).execute();

      await db.schema
        .createTable("notifications")
        .addColumn("id", serial, serialKey)
        /** Who sees it: holders of `permission` in `school` (an OU path, or * for district-wide). */
        .addColumn("permission", "text", (c) => c.notNull())
        .addColumn("school", "text", (c) => c.notNull())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("link", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("notification_reads")
        .addColumn("notification_id", "integer", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("notification_reads_pk", ["notification_id", "user_id"])
        .execute();

      await db.schema
        .createTable("audit_log")
        /** Gapless: each entry is the previous one's seq + 1 (the primary key refuses a fork). */
        .addColumn("seq", "integer", (c) => c.primaryKey())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("actor_id", "text")
        .addColumn("actor_name", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("device_id", "text")
        .addColumn("serial_number", "text")
        .addColumn("school", "text")
        .addColumn("reason", "text")
        .addColumn("request_id", "text")
        .addColumn("before", "text")
        .addColumn("after", "text")
        .addColumn("google", "text")
        .addColumn("prev_hash", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("audit_log_device").on("audit_log").columns(["device_id", "seq"]).execute();
      await db.schema.createIndex("audit_log_action").on("audit_log").columns(["action", "seq"]).execute();
      /** The chain's head: one row, locked by every append so entries are written one after another. */
      await db.schema
        .createTable("audit_head")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .execute();
      await sql`insert into audit_head (id, seq, hash) values (1, 0, ${"0".repeat(64)})`.execute(db);

      // Append-only in the database itself, not only in our code.
      if (dialect === "postgres") {
        await sql`create function audit_log_append_only() returns trigger language plpgsql as $$
          begin raise exception 'audit_log is append-only'; end $$`.execute(db);
        await sql`create trigger audit_log_no_change before update or delete on audit_log
          for each row execute function audit_log_append_only()`.execute(db);
        await sql`create trigger audit_log_no_truncate before truncate on audit_log
          for each statement execute function audit_log_append_only()`.execute(db);
      } else {
        for (const event of ["update", "delete"]) {
          await sql
            .raw(
              `create trigger audit_log_no_${event} before ${event} on audit_log
               begin select raise(abort, 'audit_log is append-only'); end`,
            )
            .execute(db);
        }
      }
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        "audit_head",
        "audit_log",
        "notification_reads",
        "notifications",
        "loans",
        "missing_devices",
        "device_actions",
      ])
        await db.schema.dropTable(table).execute();
      if (dialect === "postgres") await sql`drop function if exists audit_log_append_only()`.execute(db);
    },
  };
}
