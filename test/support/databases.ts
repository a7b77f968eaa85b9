/** A fresh, empty database for each storage test, on SQLite or on the test PostgreSQL server. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { StoreLocation } from "../../agent/store/db";

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
