/**
 * Opens the store: SQLite under the data directory by default (WAL, synchronous=FULL), PostgreSQL
 * when a `DATABASE_URL` is given. Migrations run before anything else touches it.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import {
  CamelCasePlugin,
  Kysely,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
} from "kysely";
import pg from "pg";
import { migrationProvider } from "./migrations";
import type { Database } from "./schema";

export type SqlDialect = "sqlite" | "postgres";

export interface Store {
  db: Kysely<Database>;
  dialect: SqlDialect;
  close(): Promise<void>;
}

export type StoreLocation = { databaseUrl: string } | { sqliteFile: string };

/**
 * Kysely's SQLite adapter, carrying the better-sqlite3 handle for `sqliteHandle`. SQLite's DDL is
 * transactional, but Kysely's adapter says otherwise, so its migrator would run each migration
 * without a transaction: one stopped half-way (a backfill after an added column) would leave the
 * column in place unrecorded, and every later start would fail on "duplicate column".
 */
class SqliteHandleAdapter extends SqliteAdapter {
  constructor(readonly database: SQLite.Database) {
    super();
  }

  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class SqliteHandleDialect extends SqliteDialect {
  constructor(readonly database: SQLite.Database) {
    super({ database });
  }

  override createAdapter() {
    return new SqliteHandleAdapter(this.database);
  }
}

/**
 * The better-sqlite3 database behind `db` or one of its transactions; undefined on PostgreSQL.
 * Kysely compiles and prepares every statement anew and offers no prepared statements, so a hot
 * path prepares its own once on this handle. Use it only inside a Kysely transaction: SQLite has
 * one connection, held by that transaction, so what runs on the handle joins it.
 */
export function sqliteHandle(db: Kysely<Database>): SQLite.Database | undefined {
  const adapter = db.getExecutor().adapter;
  return adapter instanceof SqliteHandleAdapter ? adapter.database : undefined;
}

/** The page size a new SQLite store is created with. */
export const newDatabasePageSize = 16_384;
/** How much the WAL grows before it is checkpointed into the database file. */
export const walCheckpointBytes = 40_960_000;

function openSqlite(file: string): Kysely<Database> {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const database = new SQLite(file);
  // A new database gets 16 KiB pages (an existing one keeps its own): a district's first load writes
  // 100,000 devices keyed by random ids, each landing on its own page of the key's index, and with
  // pages four times the default it wrote them about a quarter faster (0.9–1.0 s against 1.2–1.4 s).
  database.pragma(`page_size = ${newDatabasePageSize}`);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = FULL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  // Checkpoint the WAL every 40 MB rather than every 4: a full sync of a large district writes
  // ~100 MB, and each checkpoint costs a sync of the database file (the bench: 0.4 s of 3.9 s).
  const pageSize = Number(database.pragma("page_size", { simple: true }));
  database.pragma(`wal_autocheckpoint = ${Math.ceil(walCheckpointBytes / pageSize)}`);
  return new Kysely<Database>({
    dialect: new SqliteHandleDialect(database),
    plugins: [new CamelCasePlugin()],
  });
}

function openPostgres(connectionString: string): Kysely<Database> {
  const pool = new pg.Pool({ connectionString, max: 10 });
  // An idle connection the server ends (restart, failover, admin) is replaced on next use; without a
  // listener its error would crash the agent.
  pool.on("error", (error) =>
    console.error(JSON.stringify({ level: "warn", message: "idle database connection lost", error: error.message })),
  );
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new CamelCasePlugin()],
  });
}

/** Brings the schema up to date; all pending migrations commit together or not at all. */
export async function migrate(
  db: Kysely<Database>,
  dialect: SqlDialect,
  provider: MigrationProvider = migrationProvider(dialect),
): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    const cause = error instanceof Error ? error.message : String(error ?? "unknown error");
    throw new Error(`Database migration ${failed?.migrationName ?? ""} failed: ${cause}`);
  }
}

export async function openStore(location: StoreLocation): Promise<Store> {
  const dialect: SqlDialect = "databaseUrl" in location ? "postgres" : "sqlite";
  const db = "databaseUrl" in location ? openPostgres(location.databaseUrl) : openSqlite(location.sqliteFile);
  try {
    await migrate(db, dialect);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, dialect, close: () => db.destroy() };
}

/** True for a unique or primary-key violation on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}
