/**
 * Loaners on SQLite and PostgreSQL: a Chromebook is lent to one student at a time, even when two IT
 * leads press Lend at the same instant, and a database that already lent one twice is repaired on upgrade.
 */
import { Migrator, sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../../agent/errors";
import { lendDevice } from "../../agent/services/loans";
import type { StaffPrincipal } from "../../agent/services/staff-accounts";
import { verifyAuditChain } from "../../agent/store/audit";
import { migrate, type Store } from "../../agent/store/db";
import { migrationProvider } from "../../agent/store/migrations";
import { freshStoreEach, storageBackends } from "../support/databases";

const school = "/Schools/Lincoln High/Loaners";
const lead: StaffPrincipal = {
  user: { id: "lead-1", email: "pat@example.org", displayName: "Pat Lead" },
  grants: [{ role: "school_it_lead", school: "/Schools/Lincoln High" }],
  sessionHash: "test",
};
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();

/** The error a promise ends with, or undefined when it succeeds. */
async function failure(promise: Promise<unknown>): Promise<ApiError | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
}

describe.each(storageBackends())("loaners on $name", (backend) => {
  let store: Store;
  freshStoreEach(backend, (opened) => {
    store = opened;
  });
  beforeEach(async () => {
    await store.db
      .insertInto("devices")
      .values(
        ["cb-1", "cb-2"].map((deviceId) => ({
          deviceId,
          serialNumber: `SN-${deviceId}`,
          status: "ACTIVE",
          orgUnitPath: school,
          syncedAt: "2026-01-01T00:00:00.000Z",
        })),
      )
      .execute();
  });

  const openLoans = (deviceId: string) =>
    store.db.selectFrom("loans").selectAll().where("deviceId", "=", deviceId).where("returnedAt", "is", null).execute();

  it("lends a Chromebook once when two IT leads lend it at the same instant; the other hears who has it", async () => {
    const lend = (userEmail: string) =>
      failure(lendDevice(store.db, lead, "cb-1", { userEmail, dueAt: tomorrow() }, { now: new Date() }));
    const answers = await Promise.all([lend("ann@example.org"), lend("bo@example.org")]);
    const open = await openLoans("cb-1");
    expect(open).toHaveLength(1);
    const refused = answers.filter((a) => a !== undefined);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.status).toBe(409);
    expect(refused[0]?.message).toBe(`This Chromebook is already lent to ${open[0]?.userEmail}.`);
  });

  // Only PostgreSQL runs two lends' transactions side by side; SQLite's one writer takes them in turn.
  if (backend.name === "postgres")
    it("refuses a lend whose check ran before another lend of the same Chromebook committed", async () => {
      // Another lend has inserted its loan but not yet committed: ours cannot see it when it checks.
      let commit: () => void = () => {};
      const committed = new Promise<void>((resolve) => {
        commit = resolve;
      });
      let inserted: () => void = () => {};
      const other = store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto("loans")
          .values({
            deviceId: "cb-1",
            userEmail: "ann@example.org",
            lentAt: new Date().toISOString(),
            dueAt: tomorrow(),
            returnedAt: null,
            lentByName: "Sam Lead",
          })
          .execute();
        inserted();
        await committed;
      });
      await new Promise<void>((resolve) => {
        inserted = resolve;
      });
      const ours = failure(
        lendDevice(store.db, lead, "cb-1", { userEmail: "bo@example.org", dueAt: tomorrow() }, { now: new Date() }),
      );
      // Let the other lend commit once ours has finished, or is waiting on the other's row.
      let settled = false;
      void ours.then(() => {
        settled = true;
      });
      for (;;) {
        if (settled) break;
        const waiting = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(store.db);
        if (Number(waiting.rows[0]?.n)) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      commit();
      await other;
      const refused = await ours;
      expect(await openLoans("cb-1")).toHaveLength(1);
      expect(refused?.status).toBe(409);
      expect(refused?.message).toBe("This Chromebook is already lent to ann@example.org.");
    });

  it("closes all but the newest open loan of a Chromebook when an older database is upgraded, and says so", async () => {
    const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect) });
    expect((await migrator.migrateTo("0010-running-jobs")).error).toBeUndefined();
    const loan = (deviceId: string, userEmail: string, lentAt: string, returnedAt: string | null = null) => ({
      deviceId,
      userEmail,
      lentAt,
      dueAt: "2026-02-01T00:00:00.000Z",
      returnedAt,
      lentByName: "Pat Lead",
    });
    await store.db
      .insertInto("loans")
      .values([
        loan("cb-1", "old@example.org", "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"),
        loan("cb-1", "ann@example.org", "2026-01-10T08:00:00.000Z"),
        loan("cb-1", "bo@example.org", "2026-01-10T08:00:01.000Z"),
        loan("cb-2", "cy@example.org", "2026-01-11T08:00:00.000Z"),
      ])
      .execute();
    await migrate(store.db, store.dialect);

    const loans = await store.db.selectFrom("loans").selectAll().orderBy("id").execute();
    expect(loans.map((l) => [l.deviceId, l.userEmail, l.returnedAt])).toEqual([
      ["cb-1", "old@example.org", "2026-01-02T00:00:00.000Z"],
      // Closed at the moment the Chromebook was lent again.
      ["cb-1", "ann@example.org", "2026-01-10T08:00:01.000Z"],
      ["cb-1", "bo@example.org", null],
      ["cb-2", "cy@example.org", null],
    ]);
    const note = await store.db
      .selectFrom("auditLog")
      .selectAll()
      .where("action", "=", "device.loan_returned")
      .executeTakeFirstOrThrow();
    expect(note).toMatchObject({ deviceId: "cb-1", serialNumber: "SN-cb-1", school });
    expect(note.reason).toContain("ann@example.org");
    expect(note.reason).toContain("bo@example.org");
    expect(await verifyAuditChain(store.db)).toMatchObject({ ok: true });

    // From now on the database itself refuses a second open loan.
    const second = store.db.insertInto("loans").values(loan("cb-2", "dee@example.org", "2026-01-12T00:00:00.000Z"));
    await expect(second.execute()).rejects.toThrow();
    expect((await migrator.migrateTo("0010-running-jobs")).error).toBeUndefined();
    await second.execute();
    await store.db
      .updateTable("loans")
      .set({ returnedAt: "2026-01-12T00:00:00.000Z" })
      .where("userEmail", "=", "dee@example.org")
      .execute();
    await migrate(store.db, store.dialect);
  });
});
