/**
 * The agent as `npm run agent` runs it: compiled by agent/build.ts into .output/agent/ and started
 * with plain Node. It migrates its database, syncs the sandbox district through the googleapis
 * client, files a report, reads the files it ships from its new place, and stops cleanly.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAgent } from "../../agent/build";
import { projectRoot } from "../../agent/root";
import { createStaffUser } from "../../agent/services/staff-accounts";
import { openStore } from "../../agent/store/db";
import { reportReceipt, staffTicketDetail } from "../../shared";
import { bearer, enrollmentToken, sampleReport, staffToken } from "../support/agent";
import { password } from "../support/staff";

interface LogLine {
  message: string;
  [key: string]: unknown;
}

let dataDir: string;
let agent: ChildProcessWithoutNullStreams;
const lines: LogLine[] = [];
const waiting: {
  match: (line: LogLine) => boolean;
  resolve: (line: LogLine) => void;
  reject: (error: Error) => void;
}[] = [];
let exited: string | undefined;
let url: string;

function logLine(match: (line: LogLine) => boolean, what: string): Promise<LogLine> {
  const seen = lines.find(match);
  if (seen) return Promise.resolve(seen);
  if (exited) return Promise.reject(new Error(`The compiled agent ${exited}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The compiled agent never logged ${what}. It logged:\n${JSON.stringify(lines)}`)),
      30_000,
    );
    waiting.push({
      match,
      resolve: (line) => {
        clearTimeout(timer);
        resolve(line);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
  });
}

beforeAll(async () => {
  await buildAgent();
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-compiled-"));
  agent = spawn(process.execPath, ["--enable-source-maps", path.join(projectRoot, ".output/agent/main.mjs")], {
    env: {
      PATH: process.env.PATH,
      PORT: "0",
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
      STAFF_API_TOKEN: staffToken,
      ENROLLMENT_TOKENS: enrollmentToken,
    },
  });
  let stderr = "";
  agent.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  agent.once("exit", (code) => {
    if (!code) return;
    exited = `exited with ${code} before logging it: ${stderr}`;
    for (const w of waiting.splice(0)) w.reject(new Error(`The compiled agent ${exited}`));
  });
  createInterface({ input: agent.stdout }).on("line", (text) => {
    const line = JSON.parse(text) as LogLine;
    lines.push(line);
    for (const w of waiting.filter((w) => w.match(line))) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(line);
    }
  });
  url = String((await logLine((l) => l.message === "agent listening", "that it listens")).url);
}, 60_000);

afterAll(() => {
  if (agent.exitCode === null) agent.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the compiled agent", () => {
  it("listens on SQLite with the Google sandbox, and syncs the demo district", async () => {
    const listening = await logLine((l) => l.message === "agent listening", "that it listens");
    expect(listening).toMatchObject({ database: "sqlite", google: "sandbox" });
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: "ok" });
    const synced = await logLine((l) => l.message === "inventory full sync finished", "a finished sync");
    expect(synced.devices).toBeGreaterThan(1000);
  });

  it("files a report and shows it to staff", async () => {
    const enrolled = await fetch(`${url}/v1/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ enrollmentToken, device: { serialNumber: "5CD0COMPILED" } }),
    });
    expect(enrolled.status).toBe(201);
    const { credential } = (await enrolled.json()) as { credential: string };
    const filed = await fetch(`${url}/v1/reports`, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(credential) },
      body: JSON.stringify(sampleReport({ note: "Filed with the compiled agent" })),
    });
    expect(filed.status).toBe(201);
    const { ticket } = reportReceipt.parse(await filed.json());
    const detail = await fetch(`${url}/v1/staff/tickets/${ticket.number}`, { headers: bearer(staffToken) });
    expect(staffTicketDetail.parse(await detail.json())).toMatchObject({
      number: ticket.number,
      note: "Filed with the compiled agent",
    });
  });

  it("reads the K-12 baseline it ships from the project's files", async () => {
    // A district admin, added to the compiled agent's database from here (SQLite in WAL mode).
    const store = await openStore({ sqliteFile: path.join(dataDir, "techdesk.sqlite") });
    try {
      await createStaffUser(store.db, {
        email: "admin@district.example.org",
        displayName: "Dana Admin",
        password,
        grants: [{ role: "district_admin", school: "*" }],
      });
    } finally {
      await store.close();
    }
    const origin = new URL(url).origin;
    const session = await fetch(`${url}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ email: "admin@district.example.org", password }),
    });
    expect(session.status).toBe(201);
    const cookie = (session.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const read = await fetch(`${url}/api/filter/baseline`, { headers: { cookie, origin } });
    expect(read.status).toBe(200);
    const { baseline } = (await read.json()) as { baseline: { version: number; rules: { ou: string }[] } };
    expect(baseline.version).toBe(1);
    expect(baseline.rules[0]?.ou).toBe("/");
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => agent.once("exit", (code) => resolve(code)));
    agent.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
