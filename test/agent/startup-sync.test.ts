/**
 * The agent starting: an empty inventory is synced at once, and a full sync an earlier agent stopped
 * in the middle of resumes rather than waiting for the next night. Real agents on a data directory,
 * against the built-in Google sandbox.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGoogleClient } from "../../agent/google/client";
import { type DirectoryAdapter, directoryAdapter } from "../../agent/google/directory";
import { startSandbox } from "../../agent/sandbox/server";
import { type RunningAgent, startAgent } from "../../agent/server";
import { fullSync, fullSyncUnfinished, type SyncProgress } from "../../agent/services/inventory-sync";
import { openStore } from "../../agent/store/db";
import { readSyncState } from "../../agent/store/devices";
import { testConfig } from "../support/agent";

let dataDir: string;
let agent: RunningAgent | undefined;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-startup-"));
});
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

async function fullSyncRuns(running: RunningAgent) {
  return running.store.db
    .selectFrom("jobRuns")
    .select(["trigger", "status", "error"])
    .where("job", "=", "inventory-full-sync")
    .orderBy("id")
    .execute();
}

describe("the agent starting", () => {
  it("syncs an empty inventory at once, recorded as a start-up run", async () => {
    agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir, JOBS_ENABLED: "true" }));
    const running = agent;
    await running.startup;
    expect(await fullSyncRuns(running)).toEqual([{ trigger: "startup", status: "succeeded", error: null }]);
    const devices = await running.store.db
      .selectFrom("devices")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(devices.n)).toBe(2000);
  });

  it("resumes a full sync an earlier agent stopped in the middle of", async () => {
    // The earlier agent's run: its walk stops after some pages, leaving the run saved unfinished with
    // part of the district stored.
    const sandbox = await startSandbox();
    const store = await openStore({ sqliteFile: path.join(dataDir, "techdesk.sqlite") });
    const directory = directoryAdapter(createGoogleClient({ rootUrl: sandbox.url }));
    let pages = 0;
    const stopping: DirectoryAdapter = {
      ...directory,
      listDevicesPage: async (query) => {
        pages += 1;
        if (pages > 6) throw new Error("the agent stopped");
        return directory.listDevicesPage(query);
      },
    };
    await expect(fullSync(store.db, stopping, { parallelOus: 1 })).rejects.toThrow("the agent stopped");
    const cut = await readSyncState<SyncProgress>(store.db, "inventory.full");
    expect(await fullSyncUnfinished(store.db)).toBe(true);
    expect(cut?.ousDone).toBeLessThan(cut?.ousTotal ?? 0);
    const stored = await store.db
      .selectFrom("devices")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBeGreaterThan(0);
    expect(Number(stored.n)).toBeLessThan(2000);
    await store.close();
    await sandbox.close();

    agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir, JOBS_ENABLED: "true" }));
    const running = agent;
    await running.startup;
    expect(await fullSyncRuns(running)).toEqual([{ trigger: "startup", status: "succeeded", error: null }]);
    // The same run carried on to its end, not a new one from the start.
    const finished = await readSyncState<SyncProgress>(running.store.db, "inventory.full");
    expect(finished?.runId).toBe(cut?.runId);
    expect(finished?.finishedAt).toBeDefined();
    expect(finished?.devicesSeen).toBe(2000);
    expect(await fullSyncUnfinished(running.store.db)).toBe(false);
  });

  it("does not sync again at start when the inventory is synced and no run was left unfinished", async () => {
    agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir, JOBS_ENABLED: "true" }));
    const first = agent;
    await first.startup;
    expect(await fullSyncRuns(first)).toEqual([{ trigger: "startup", status: "succeeded", error: null }]);
    await first.close();
    agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir, JOBS_ENABLED: "true" }));
    await agent.startup;
    expect(await fullSyncRuns(agent)).toHaveLength(1);
  });
});
