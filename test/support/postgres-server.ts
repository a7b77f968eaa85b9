/**
 * Vitest global setup for the storage suite: a throwaway PostgreSQL server in a temporary
 * directory (or the server in TEST_DATABASE_URL). Missing PostgreSQL fails the run loudly; the
 * suite is never skipped.
 */
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "./ports";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

function serverBinDir(): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base)
    ? readdirSync(base).filter((v) => existsSync(path.join(base, v, "bin", "initdb")))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) {
    throw new Error(
      "PostgreSQL server binaries were not found under /usr/lib/postgresql/*/bin. Install them with " +
        "`apt-get install -y postgresql`, or point TEST_DATABASE_URL at a server. The storage suite runs on a real server and is never skipped.",
    );
  }
  return path.join(base, newest, "bin");
}

/** PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user. */
function runner(): { run: (file: string, args: string[]) => void; own: (dir: string) => void } {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) return { run: (file, args) => execFileSync(file, args, { stdio: "pipe" }), own: () => {} };
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return {
    run: (file, args) => execFileSync("runuser", ["-u", "postgres", "--", file, ...args], { stdio: "pipe" }),
    own: (dir) => chownSync(dir, uid, gid),
  };
}

export async function startThrowawayPostgres(): Promise<{ url: string; stop: () => void }> {
  const bin = serverBinDir();
  const { run, own } = runner();
  const dir = mkdtempSync(path.join(tmpdir(), "techdesk-pg-"));
  own(dir);
  const data = path.join(dir, "data");
  const log = path.join(dir, "server.log");
  let port = 0;
  try {
    run(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "techdesk", "-E", "UTF8", "--no-sync"]);
    // A port found free can be taken by another process before PostgreSQL binds it: try another.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const logged = existsSync(log) ? readFileSync(log, "utf8").length : 0;
      try {
        run(path.join(bin, "pg_ctl"), [
          "-D",
          data,
          "-l",
          log,
          "-o",
          `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
          "-w",
          "start",
        ]);
        break;
      } catch (error) {
        // Only this attempt's lines: the log keeps earlier attempts' too.
        const taken = existsSync(log) && readFileSync(log, "utf8").slice(logged).includes("Address already in use");
        if (!taken || attempt === 3) throw error;
      }
    }
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    const serverLog = existsSync(log) ? readFileSync(log, "utf8").trim() : "";
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `Could not start a throwaway PostgreSQL server: ${stderr || (error as Error).message}${serverLog ? `\n${serverLog}` : ""}`,
    );
  }
  return {
    url: `postgres://techdesk@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export default async function setup(project: TestProject) {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide("postgresUrl", given);
    return;
  }
  const server = await startThrowawayPostgres();
  project.provide("postgresUrl", server.url);
  return () => server.stop();
}
