/** A fresh, empty database for each storage test, on SQLite or on the test PostgreSQL server. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, beforeEach, inject } from "vitest";
import { openStore, type Store, type StoreLocation } from "../../agent/store/db";

export interface Backend {
  name: "sqlite" | "postgres";
  /** A new empty database; the returned function removes it. */
  create(): Promise<{ location: StoreLocation; drop: () => Promise<void> }>;
}

export const sqliteBackend: Backend = {
  name: "sqlite",
  async create() {
    const dir = mkdtempSync(path.join(tmpdir(), "techdesk-sqlite-"));
    return {
      location: { sqliteFile: path.join(dir, "techdesk.sqlite") },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

export function postgresBackend(adminUrl: string): Backend {
  return {
    name: "postgres",
    async create() {
      const name = `td_${randomBytes(6).toString("hex")}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return {
        location: { databaseUrl: url.toString() },
        async drop() {
          const client = new pg.Client({ connectionString: adminUrl });
          await client.connect();
          await client.query(`drop database if exists ${name} with (force)`);
          await client.end();
        },
      };
    },
  };
}

/**
 * What every storage test runs on: SQLite, and the PostgreSQL server that the suite's global setup
 * (postgres-server.ts) started or was given. Without PostgreSQL that setup fails the run; nothing is skipped.
 */
export function storageBackends(): Backend[] {
  return [sqliteBackend, postgresBackend(inject("postgresUrl"))];
}

/**
 * Before each test, a new empty database on `backend`, handed to `open` (which opens a store or an
 * agent on it and answers how to close that); after each test, what it opened is closed and the
 * database dropped.
 */
export function freshDatabaseEach(
  backend: Backend,
  open: (location: StoreLocation) => Promise<() => Promise<void>>,
): void {
  let close: (() => Promise<void>) | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    close = undefined;
    drop = undefined;
    const created = await backend.create();
    drop = created.drop;
    close = await open(created.location);
  });
  afterEach(async () => {
    await close?.();
    await drop?.();
  });
}

/** Before each test, a store on a new empty database of `backend`, handed to `use` with where it is; closed and dropped after. */
export function freshStoreEach(backend: Backend, use: (store: Store, location: StoreLocation) => void): void {
  freshDatabaseEach(backend, async (location) => {
    const store = await openStore(location);
    use(store, location);
    return () => store.close();
  });
}
