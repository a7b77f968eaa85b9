/**
 * A lease row per job: whoever holds an unexpired lease runs the job; a long run renews it.
 * One `INSERT … ON CONFLICT DO UPDATE … WHERE expired` decides, atomically on both dialects.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";

export async function acquireLease(
  db: Kysely<Database>,
  job: string,
  holder: string,
  ttlMs: number,
  now = new Date(),
): Promise<boolean> {
  const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
  await db
    .insertInto("jobLeases")
    .values({ job, holder, expiresAt })
    .onConflict((oc) =>
      oc
        .column("job")
        .doUpdateSet({ holder, expiresAt })
        .where((eb) => eb.or([eb("jobLeases.expiresAt", "<", now.toISOString()), eb("jobLeases.holder", "=", holder)])),
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
    .set({ expiresAt: new Date(now.getTime() + ttlMs).toISOString() })
    .where("job", "=", job)
    .where("holder", "=", holder)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function releaseLease(db: Kysely<Database>, job: string, holder: string): Promise<void> {
  await db.deleteFrom("jobLeases").where("job", "=", job).where("holder", "=", holder).execute();
}
