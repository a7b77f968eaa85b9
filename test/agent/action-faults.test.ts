/**
 * Device actions under Google's failures: throttling (429, 403 rate limits), 503s, dropped
 * connections, latency, an outage long enough to open the circuit breaker, an answer lost after
 * Google applied the change, and a worker that dies holding actions. Every requested disable ends
 * applied once in the sandbox, confirmed once, and audited once.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGoogleClient, GoogleCallError } from "../../agent/google/client";
import { type DirectoryAdapter, directoryAdapter } from "../../agent/google/directory";
import { createLogger } from "../../agent/log";
import { seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";
import { ActionWorker } from "../../agent/services/action-worker";
import { type Actor, recordActions } from "../../agent/services/device-actions";
import { fullSync } from "../../agent/services/inventory-sync";
import { verifyAuditChain } from "../../agent/store/audit";
import { openStore, type Store } from "../../agent/store/db";

const log = createLogger("silent");
const fast = { maxTries: 10, baseMs: 1, capMs: 5, jitterMs: 1 };
const lead: Actor = { id: "lead-1", name: "Pat Lead" };
let sandbox: RunningSandbox;
let store: Store;

beforeAll(async () => {
  sandbox = await startSandbox({ district: seedDistrict({ seed: 5, devices: 600 }), behaviour: { latencyMs: 5 } });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  sandbox.context.faults.clear();
  sandbox.context.faults.behaviour.latencyMs = 5;
  store = await openStore({ sqliteFile: ":memory:" });
  await fullSync(store.db, directoryAdapter(createGoogleClient({ rootUrl: sandbox.url, retry: fast })));
});
afterEach(() => store.close());

/** Active devices from the store, not used by an earlier test (the sandbox lives for the file). */
async function activeDevices(count: number) {
  const rows = await store.db
    .selectFrom("devices")
    .selectAll()
    .where("status", "=", "ACTIVE")
    .orderBy("deviceId")
    .execute();
  const fresh = rows.filter((r) => sandbox.context.district.devices.get(r.deviceId)?.status === "ACTIVE");
  if (fresh.length < count) throw new Error("the sandbox ran out of active devices");
  return fresh.slice(0, count);
}

async function requestDisables(count: number) {
  const devices = await activeDevices(count);
  const actions = await recordActions(
    store.db,
    lead,
    devices.map((device) => ({ device, kind: "disable" as const, reason: "Cart stolen" })),
    { now: new Date() },
  );
  return { devices, actions };
}

async function expectAppliedOnce(deviceIds: string[]) {
  for (const id of deviceIds) expect(sandbox.context.district.devices.get(id)?.status, id).toBe("DISABLED");
  const actions = await store.db.selectFrom("deviceActions").selectAll().where("deviceId", "in", deviceIds).execute();
  expect(actions.map((a) => a.state)).toEqual(deviceIds.map(() => "confirmed"));
  const confirmations = await store.db
    .selectFrom("auditLog")
    .select("deviceId")
    .where("action", "=", "device.disable.confirmed")
    .where("deviceId", "in", deviceIds)
    .execute();
  expect(confirmations.map((c) => c.deviceId).sort()).toEqual([...deviceIds].sort());
  const stored = await store.db.selectFrom("devices").select("status").where("deviceId", "in", deviceIds).execute();
  expect(new Set(stored.map((s) => s.status))).toEqual(new Set(["DISABLED"]));
  expect((await verifyAuditChain(store.db)).ok).toBe(true);
}

describe("device actions under Google's failures", () => {
  it("applies every disable once through 429, 403 rate limits, 503, dropped connections and latency", async () => {
    const { devices } = await requestDisables(120);
    const faults = sandbox.context.faults;
    faults.behaviour.latencyMs = 40;
    const batch = /chromeos:batchChangeStatus$/;
    faults.inject({ match: batch, fault: { kind: "status", status: 429 }, times: 2 });
    faults.inject({ match: batch, fault: { kind: "rateLimit", reason: "rateLimitExceeded" }, times: 1 });
    faults.inject({ match: batch, fault: { kind: "rateLimit", reason: "userRateLimitExceeded" }, times: 1 });
    faults.inject({ match: batch, fault: { kind: "status", status: 503 }, times: 2 });
    faults.inject({ match: batch, fault: { kind: "drop" }, times: 1 });
    const google = createGoogleClient({ rootUrl: sandbox.url, retry: fast });
    const worker = new ActionWorker(store.db, directoryAdapter(google), log, { backoffMs: 10 });
    expect(await worker.drain(30_000)).toBe(true);
    await expectAppliedOnce(devices.map((d) => d.deviceId));
    expect(faults.pending, "every injected fault was served").toBe(0);
  });

  it("parks actions while Google is down (breaker open) and applies them once it answers again", async () => {
    const { devices } = await requestDisables(30);
    const faults = sandbox.context.faults;
    faults.inject({ match: /chromeos:batchChangeStatus$/, fault: { kind: "status", status: 503 }, times: 1_000 });
    const google = createGoogleClient({
      rootUrl: sandbox.url,
      retry: { ...fast, maxTries: 2 },
      breaker: { threshold: 2, cooldownMs: 100 },
    });
    const worker = new ActionWorker(store.db, directoryAdapter(google), log, { backoffMs: 20, maxBackoffMs: 50 });
    for (let i = 0; i < 4; i++) await worker.tick();
    const parked = await store.db.selectFrom("deviceActions").selectAll().execute();
    expect(new Set(parked.map((a) => a.state))).toEqual(new Set(["requested"]));
    expect(parked[0]?.error).toMatch(/503|failing|parked/);
    expect(devices.every((d) => sandbox.context.district.devices.get(d.deviceId)?.status === "ACTIVE")).toBe(true);

    faults.clear();
    expect(await worker.drain(10_000)).toBe(true);
    await expectAppliedOnce(devices.map((d) => d.deviceId));
  });

  it("confirms, not repeats, a disable Google applied when its answer was lost", async () => {
    const { devices } = await requestDisables(10);
    const real = directoryAdapter(createGoogleClient({ rootUrl: sandbox.url, retry: fast }));
    let lost = 0;
    const losingAnswers: DirectoryAdapter = {
      ...real,
      async changeStatus(...args: Parameters<DirectoryAdapter["changeStatus"]>) {
        const results = await real.changeStatus(...args);
        if (lost++ === 0)
          throw new GoogleCallError(
            "directory",
            "devices.batchChangeStatus",
            { network: true, message: "socket hang up" },
            10,
          );
        return results;
      },
    };
    const worker = new ActionWorker(store.db, losingAnswers, log, { backoffMs: 10 });
    expect(await worker.drain(10_000)).toBe(true);
    await expectAppliedOnce(devices.map((d) => d.deviceId));
    const results = await store.db.selectFrom("deviceActions").select("result").execute();
    expect(results.every((r) => JSON.parse(r.result ?? "{}").alreadyApplied)).toBe(true);
  });

  it("picks up the actions of a worker that died holding them", async () => {
    const { devices, actions } = await requestDisables(5);
    // A worker claimed them and died before calling Google: its claim has lapsed.
    await store.db
      .updateTable("deviceActions")
      .set({
        state: "sent",
        claimedBy: "dead-worker",
        claimedUntil: new Date(Date.now() - 1000).toISOString(),
        attempts: 1,
      })
      .where(
        "id",
        "in",
        actions.map((a) => a.id),
      )
      .execute();
    const worker = new ActionWorker(
      store.db,
      directoryAdapter(createGoogleClient({ rootUrl: sandbox.url, retry: fast })),
      log,
    );
    expect(await worker.drain(10_000)).toBe(true);
    await expectAppliedOnce(devices.map((d) => d.deviceId));
  });

  it("fails, rather than repeats, a command whose sending was interrupted", async () => {
    const [device] = await activeDevices(1);
    if (!device) throw new Error("no device");
    const [action] = await recordActions(
      store.db,
      lead,
      [{ device, kind: "command", commandType: "REMOTE_POWERWASH", reason: "New student" }],
      { now: new Date() },
    );
    await store.db
      .updateTable("deviceActions")
      .set({ state: "sent", claimedBy: "dead-worker", claimedUntil: new Date(Date.now() - 1000).toISOString() })
      .where("id", "=", action?.id ?? "")
      .execute();
    const commandsBefore = sandbox.context.district.commands.size;
    const worker = new ActionWorker(
      store.db,
      directoryAdapter(createGoogleClient({ rootUrl: sandbox.url, retry: fast })),
      log,
    );
    await worker.drain(5_000);
    const ended = await store.db
      .selectFrom("deviceActions")
      .selectAll()
      .where("id", "=", action?.id ?? "")
      .executeTakeFirstOrThrow();
    expect(ended.state).toBe("failed");
    expect(ended.error).toMatch(/may or may not have received it/);
    expect(sandbox.context.district.commands.size).toBe(commandsBefore);
  });

  it("fails, rather than repeats, a command Google answered with 500 or a dropped connection", async () => {
    const devices = await activeDevices(3);
    const faults: [string, Parameters<typeof sandbox.context.faults.inject>[0]["fault"], RegExp][] = [
      [
        "500",
        { kind: "status", status: 500 },
        /Google answered 500 while sending, so Google may or may not have acted/,
      ],
      ["drop", { kind: "drop" }, /The connection to Google dropped while sending, so Google may or may not have acted/],
      // Throttled: Google surely did not act, so the command is sent (once) after the wait.
      ["429", { kind: "status", status: 429 }, /^$/],
    ];
    for (const [i, [name, fault, message]] of faults.entries()) {
      const device = devices[i];
      if (!device) throw new Error("no device");
      const [action] = await recordActions(
        store.db,
        lead,
        [{ device, kind: "command", commandType: "REBOOT", reason: `Frozen (${name})` }],
        { now: new Date() },
      );
      sandbox.context.faults.inject({ fault, times: 1, match: /:issueCommand$/ });
      const commandsBefore = sandbox.context.district.commands.size;
      const worker = new ActionWorker(
        store.db,
        directoryAdapter(createGoogleClient({ rootUrl: sandbox.url, retry: fast })),
        log,
      );
      await worker.tick(); // claims the action and sends it
      const ended = await store.db
        .selectFrom("deviceActions")
        .selectAll()
        .where("id", "=", action?.id ?? "")
        .executeTakeFirstOrThrow();
      if (name === "429") {
        expect(ended.state, name).toBe("sent");
        expect(sandbox.context.district.commands.size, name).toBe(commandsBefore + 1);
      } else {
        expect(ended.state, name).toBe("failed");
        expect(ended.error, name).toMatch(message);
        expect(sandbox.context.district.commands.size, name).toBe(commandsBefore);
      }
    }
  });

  it("lets two workers share the queue without sending anything twice", async () => {
    const { devices } = await requestDisables(80);
    let calls = 0;
    const counting = (): DirectoryAdapter => {
      const real = directoryAdapter(createGoogleClient({ rootUrl: sandbox.url, retry: fast }));
      return {
        ...real,
        changeStatus: (...args: Parameters<DirectoryAdapter["changeStatus"]>) => {
          calls += args[0].length;
          return real.changeStatus(...args);
        },
      };
    };
    const a = new ActionWorker(store.db, counting(), log, { holder: "a" });
    const b = new ActionWorker(store.db, counting(), log, { holder: "b" });
    await Promise.all([a.tick(), b.tick()]);
    expect(await a.drain(10_000)).toBe(true);
    expect(calls).toBe(80);
    await expectAppliedOnce(devices.map((d) => d.deviceId));
  });
});
