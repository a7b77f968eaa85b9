/**
 * A lease row per job: whoever holds an unexpired lease runs the job; a long run renews it.
 * One `INSERT … ON CONFLICT DO UPDATE … WHERE expired` decides, atomically on both dialects.
 *
 * On PostgreSQL, where several replicas share the leases, every lease is taken, renewed and judged
 * by the database's clock: a replica whose clock runs ahead would otherwise see another's lease as
 * run out and take it, and one whose clock lags would write a lease the others already see as over.
 * SQLite has one agent process, and its own clock serves (`now`, which tests set).
 */
import { type Expression, type Kysely, sql } from "kysely";
import { sqliteHandle } from "../store/db";
import type { Database } from "../store/schema";

/**
 * The moment `afterMs` from now, written as leases store it (`Date.toISOString()`): by the
 * database's clock on PostgreSQL, by `now` on SQLite.
 */
export function leaseClock(db: Kysely<Database>, now: Date, afterMs = 0): string | Expression<string> {
  if (sqliteHandle(db)) return new Date(now.getTime() + afterMs).toISOString();
  return sql<string>`to_char((clock_timestamp() + make_interval(secs => ${afterMs / 1000})) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** Who holds `job`'s lease now, if anyone: a lease run out is held by no one. */
export async function leaseHolder(db: Kysely<Database>, job: string, now = new Date()): Promise<string | undefined> {
  const row = await db
    .selectFrom("jobLeases")
    .select("holder")
    .where("job", "=", job)
    .where("expiresAt", ">", leaseClock(db, now))
    .executeTakeFirst();
  return row?.holder;
}

export async function acquireLease(
  db: Kysely<Database>,
  job: string,
  holder: string,
  ttlMs: number,
  now = new Date(),
): Promise<boolean> {
  const expiresAt = leaseClock(db, now, ttlMs);
  await db
    .insertInto("jobLeases")
    .values({ job, holder, expiresAt })
    .onConflict((oc) =>
      oc
        .column("job")
        .doUpdateSet({ holder, expiresAt })
        .where((eb) =>
          eb.or([eb("jobLeases.expiresAt", "<", leaseClock(db, now)), eb("jobLeases.holder", "=", holder)]),
        ),
    )
    .execute();
  const row = await db.selectFrom("jobLeases").select("holder").where("job", "=", job).executeTakeFirst();
  return row?.holder === holder;
}

export async function renewLease(
  db: Kysely<Database>,
  job: string,
  holder: string,
  ttlMs: number,
  now = new Date(),
): Promise<boolean> {
  const result = await db
    .updateTable("jobLeases")
    .set({ expiresAt: leaseClock(db, now, ttlMs) })
    .where("job", "=", job)
    .where("holder", "=", holder)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function releaseLease(db: Kysely<Database>, job: string, holder: string): Promise<void> {
  await db.deleteFrom("jobLeases").where("job", "=", job).where("holder", "=", holder).execute();
}
