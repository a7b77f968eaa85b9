/** Staff accounts, their role grants per school, and sign-in sessions. */
import type { Kysely } from "kysely";

export const staffMigration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("staff_users")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("email", "text", (c) => c.notNull().unique())
      .addColumn("display_name", "text", (c) => c.notNull())
      .addColumn("password_hash", "text")
      .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("failed_sign_ins", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("locked_until", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("staff_role_grants")
      .addColumn("user_id", "text", (c) => c.notNull().references("staff_users.id").onDelete("cascade"))
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("school", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("staff_role_grants_pk", ["user_id", "role", "school"])
      .execute();

    await db.schema
      .createTable("staff_sessions")
      .addColumn("id_hash", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull().references("staff_users.id").onDelete("cascade"))
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("last_seen_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("user_agent", "text")
      .execute();
    await db.schema.createIndex("staff_sessions_user").on("staff_sessions").column("user_id").execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ["staff_sessions", "staff_role_grants", "staff_users"])
      await db.schema.dropTable(table).execute();
  },
};
