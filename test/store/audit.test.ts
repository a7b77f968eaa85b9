/**
 * The audit log on SQLite and PostgreSQL: appended in the caller's transaction, chained one after
 * another even when appends race, refused by the database itself on update and delete, and any
 * tampering (done here by a database owner who drops the guard) found by the chain check.
 */
import { type KyselyPlugin, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { appendAudit, verifyAuditChain } from "../../agent/store/audit";
import type { Store } from "../../agent/store/db";
import { freshStoreEach, storageBackends } from "../support/databases";

const entry = (n: number) => ({
  at: new Date(Date.UTC(2026, 10, 24, 1, 0, n)).toISOString(),
  actorId: "u1",
  actorName: "Pat Lead",
  action: "device.disable.confirmed",
  deviceId: `dev-${n}`,
  serialNumber: `SER${n}`,
  school: "/Schools/Lincoln High/Students",
  reason: "Lost",
  before: { status: "ACTIVE" },
  after: { status: "DISABLED" },
  google: { deviceId: `dev-${n}` },
});

describe.each(storageBackends())("audit log on $name", (backend) => {
  let store: Store;
  freshStoreEach(backend, (opened) => {
    store = opened;
  });

  it("chains every entry to the one before, even when appends race", async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, n) => store.db.transaction().execute((trx) => appendAudit(trx, entry(n)))),
    );
    const rows = await store.db.selectFrom("auditLog").select(["seq", "prevHash", "hash"]).orderBy("seq").execute();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prevHash).toBe(rows[i - 1]?.hash);
    expect(await verifyAuditChain(store.db, 7)).toEqual({ ok: true, entries: 40 });
  });

  it("finds the chain whole while entries are appended during the check", async () => {
    for (let n = 1; n <= 5; n++) await store.db.transaction().execute((trx) => appendAudit(trx, entry(n)));
    // An append commits right after the check reads its first page of the log. On PostgreSQL it runs
    // on another connection and is awaited; SQLite's one connection is busy until the read returns,
    // so the append waits for it and runs before the check's next statement.
    let appending: Promise<unknown> | undefined;
    const appendOnce: KyselyPlugin = {
      transformQuery: (args) => args.node,
      async transformResult(args) {
        const logPage = "prevHash" in (args.result.rows[0] ?? {});
        if (logPage && !appending) {
          appending = store.db.transaction().execute((trx) => appendAudit(trx, entry(6)));
          if (backend.name === "postgres") await appending;
        }
        return args.result;
      },
    };
    expect(await verifyAuditChain(store.db.withPlugin(appendOnce))).toEqual({ ok: true, entries: 5 });
    await appending;
    expect(await verifyAuditChain(store.db)).toEqual({ ok: true, entries: 6 });
  });

  it("is written with the change it records, or not at all", async () => {
    await expect(
      store.db.transaction().execute(async (trx) => {
        await appendAudit(trx, entry(1));
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await store.db.selectFrom("auditLog").selectAll().execute()).toEqual([]);
    await store.db.transaction().execute((trx) => appendAudit(trx, entry(2)));
    expect(await verifyAuditChain(store.db)).toEqual({ ok: true, entries: 1 });
  });

  it("refuses updates and deletes in the database itself", async () => {
    await store.db.transaction().execute((trx) => appendAudit(trx, entry(1)));
    await expect(store.db.updateTable("auditLog").set({ reason: "edited" }).execute()).rejects.toThrow(/append-only/);
    await expect(store.db.deleteFrom("auditLog").execute()).rejects.toThrow(/append-only/);
    expect(await verifyAuditChain(store.db)).toEqual({ ok: true, entries: 1 });
  });

  async function dropGuard() {
    if (backend.name === "postgres") await sql`drop trigger audit_log_no_change on audit_log`.execute(store.db);
    else {
      await sql`drop trigger audit_log_no_update`.execute(store.db);
      await sql`drop trigger audit_log_no_delete`.execute(store.db);
    }
  }

  it("shows an edited entry, a removed one, and a removed tail", async () => {
    for (let n = 1; n <= 5; n++) await store.db.transaction().execute((trx) => appendAudit(trx, entry(n)));
    await dropGuard();

    await store.db.updateTable("auditLog").set({ reason: "Found, never lost" }).where("seq", "=", 3).execute();
    expect(await verifyAuditChain(store.db)).toMatchObject({
      ok: false,
      brokenAt: 3,
      problem: expect.stringContaining("changed"),
    });
    await store.db.updateTable("auditLog").set({ reason: "Lost" }).where("seq", "=", 3).execute();
    expect(await verifyAuditChain(store.db)).toEqual({ ok: true, entries: 5 });

    await store.db.deleteFrom("auditLog").where("seq", "=", 5).execute();
    expect(await verifyAuditChain(store.db)).toMatchObject({
      ok: false,
      brokenAt: 5,
      problem: expect.stringContaining("removed"),
    });

    await store.db.deleteFrom("auditLog").where("seq", "=", 2).execute();
    expect(await verifyAuditChain(store.db)).toMatchObject({
      ok: false,
      brokenAt: 2,
      problem: expect.stringContaining("missing"),
    });
  });
});
