/** The storage suite: the same tests on SQLite and on a real PostgreSQL server. */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../../agent/errors";
import { fileReport } from "../../agent/services/tickets";
import { migrate, newDatabasePageSize, openStore, type Store, type StoreLocation } from "../../agent/store/db";
import { findEnrollmentByCredentialHash, insertEnrollment } from "../../agent/store/enrollments";
import { migrationProvider } from "../../agent/store/migrations";
import type { DeviceEnrollment } from "../../agent/store/schema";
import { listTickets } from "../../agent/store/tickets";
import { sampleReport } from "../support/agent";
import { freshDatabaseEach, storageBackends } from "../support/databases";

describe.each(storageBackends())("store on $name", (backend) => {
  let store: Store;
  let location: StoreLocation;
  let device: DeviceEnrollment;

  freshDatabaseEach(backend, async (created) => {
    location = created;
    store = await openStore(location);
    // A store the test opened again is the one to close.
    return () => store.close();
  });
  beforeEach(async () => {
    const at = new Date().toISOString();
    const enrollment = {
      id: randomUUID(),
      directoryDeviceId: "dir-1",
      serialNumber: "5CD1234XYZ",
      assetId: null,
      credentialHash: randomUUID(),
      extensionVersion: "0.1.0",
      school: "/Schools/Lincoln High",
      inventoryMatch: null,
      enrolledAt: at,
      lastSeenAt: at,
    };
    await insertEnrollment(store.db, enrollment);
    device = enrollment;
  });

  it("runs its migrations once: opening an existing database again changes nothing", async () => {
    await fileReport(store.db, device, sampleReport());
    await store.close();
    store = await openStore(location);
    const migrations = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(store.db);
    const known = Object.keys(await migrationProvider(store.dialect).getMigrations());
    expect(Number(migrations.rows[0]?.n)).toBe(known.length);
    expect(await store.db.selectFrom("tickets").selectAll().execute()).toHaveLength(1);
  });

  it("runs a failing migration not at all: what it did before failing is rolled back and it stays pending", async () => {
    const known = await migrationProvider(store.dialect).getMigrations();
    const failing = {
      async getMigrations() {
        return {
          ...known,
          "9999-half-done": {
            async up(db: Kysely<unknown>) {
              await db.schema.createTable("half_done").addColumn("id", "integer").execute();
              await db.schema.alterTable("tickets").addColumn("half_done_note", "text").execute();
              throw new Error("stopped half-way");
            },
          },
        };
      },
    };
    await expect(migrate(store.db, store.dialect, failing)).rejects.toThrow(/9999-half-done failed: stopped half-way/);
    const tables = await store.db.introspection.getTables();
    expect(tables.map((t) => t.name)).not.toContain("half_done");
    const tickets = tables.find((t) => t.name === "tickets");
    expect(tickets?.columns.map((c) => c.name)).not.toContain("half_done_note");
    // Nothing was recorded, so the next start runs the migrations again, from a clean schema.
    const recorded = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(store.db);
    expect(Number(recorded.rows[0]?.n)).toBe(Object.keys(known).length);
  });

  it("finds an enrollment by its credential hash", async () => {
    expect((await findEnrollmentByCredentialHash(store.db, device.credentialHash))?.id).toBe(device.id);
    expect(await findEnrollmentByCredentialHash(store.db, "unknown")).toBeUndefined();
  });

  it("writes report, ticket and idempotency record together", async () => {
    const report = sampleReport({ category: "broken_damaged" });
    const { ticket } = await fileReport(store.db, device, report);
    const saved = await store.db.selectFrom("reports").selectAll().executeTakeFirstOrThrow();
    expect(JSON.parse(saved.diagnostics)).toEqual(report.diagnostics);
    const record = await store.db.selectFrom("idempotencyRecords").selectAll().executeTakeFirstOrThrow();
    expect(record).toMatchObject({ idempotencyKey: report.idempotencyKey, ticketNumber: ticket.number });
    expect(ticket).toMatchObject({ queue: "school_it", tier: 2, status: "open" });
    const row = await store.db.selectFrom("tickets").selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ school: "/Schools/Lincoln High", assetId: "LHS-0042", serialNumber: "5CD1234XYZ" });
    const events = await store.db.selectFrom("ticketEvents").selectAll().execute();
    expect(events).toMatchObject([{ ticketNumber: ticket.number, kind: "created" }]);
  });

  it("rolls the whole filing back when any part fails", async () => {
    // Make the transaction's last write fail: earlier writes must not survive it.
    await store.db.schema.dropTable("idempotency_records").execute();
    await expect(fileReport(store.db, device, sampleReport())).rejects.toThrow();
    expect(await store.db.selectFrom("reports").selectAll().execute()).toHaveLength(0);
    expect(await store.db.selectFrom("tickets").selectAll().execute()).toHaveLength(0);
  });

  it("answers a repeated key with the first ticket, and refuses the key for another report", async () => {
    const report = sampleReport();
    const first = await fileReport(store.db, device, report);
    const again = await fileReport(store.db, device, report);
    expect(again).toEqual({ ticket: first.ticket, replayed: true });
    await expect(fileReport(store.db, device, { ...report, note: "changed" })).rejects.toBeInstanceOf(ApiError);
  });

  it("files one ticket when the same key arrives many times at once", async () => {
    const report = sampleReport();
    const answers = await Promise.all(Array.from({ length: 12 }, () => fileReport(store.db, device, report)));
    expect(new Set(answers.map((a) => a.ticket.number)).size).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect(await store.db.selectFrom("tickets").selectAll().execute()).toHaveLength(1);
    expect(await store.db.selectFrom("reports").selectAll().execute()).toHaveLength(1);
  });

  it("numbers tickets uniquely and in order under concurrent filing", async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => fileReport(store.db, device, sampleReport())));
    const numbers = answers.map((a) => a.ticket.number).sort((a, b) => a - b);
    expect(new Set(numbers).size).toBe(20);
    const listed = await listTickets(store.db, { limit: 50 });
    expect(listed.map((t) => t.number)).toEqual([...numbers].reverse());
  });

  it("pages by cursor without gaps or repeats", async () => {
    for (let i = 0; i < 7; i++)
      await fileReport(store.db, device, sampleReport({ category: i % 2 ? "slow" : "screen" }));
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const rows = await listTickets(store.db, { limit: 3, cursor });
      const page = rows.slice(0, 3);
      seen.push(...page.map((r) => r.number));
      cursor = rows.length > 3 ? String(page.at(-1)?.number) : undefined;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect((await listTickets(store.db, { limit: 50, category: "slow" })).every((t) => t.category === "slow")).toBe(
      true,
    );
  });

  if (backend.name === "sqlite") {
    it("opens SQLite in WAL mode with synchronous=FULL", async () => {
      // CamelCasePlugin renames result columns: journal_mode reads back as journalMode.
      const mode = await sql<{ journalMode: string }>`pragma journal_mode`.execute(store.db);
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
      expect(mode.rows[0]?.journalMode).toBe("wal");
      expect(sync.rows[0]?.synchronous).toBe(2);
    });

    it("creates a new database with 16 KiB pages and checkpoints its WAL every 40 MB", async () => {
      const pageSize = await sql<{ pageSize: number }>`pragma page_size`.execute(store.db);
      const checkpoint = await sql<{ walAutocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
      expect(pageSize.rows[0]?.pageSize).toBe(newDatabasePageSize);
      expect(checkpoint.rows[0]?.walAutocheckpoint).toBe(2_500);
    });

    it("keeps the page size of a database created before, and its WAL checkpoint still every 40 MB", async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "techdesk-sqlite-4k-"));
      const file = path.join(dir, "old.sqlite");
      try {
        const old = new SQLite(file);
        old.pragma("page_size = 4096");
        old.pragma("journal_mode = WAL");
        old.exec("create table earlier (id integer primary key)");
        old.close();
        const reopened = await openStore({ sqliteFile: file });
        const pageSize = await sql<{ pageSize: number }>`pragma page_size`.execute(reopened.db);
        const checkpoint = await sql<{ walAutocheckpoint: number }>`pragma wal_autocheckpoint`.execute(reopened.db);
        expect(pageSize.rows[0]?.pageSize).toBe(4096);
        expect(checkpoint.rows[0]?.walAutocheckpoint).toBe(10_000);
        // Migrated and in use as any store.
        await insertEnrollment(reopened.db, device);
        await fileReport(reopened.db, device, sampleReport());
        expect(await reopened.db.selectFrom("tickets").selectAll().execute()).toHaveLength(1);
        await reopened.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
