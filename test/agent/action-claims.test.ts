/**
 * The action worker's hold on what it sends: a claim lives as long as its worker works on it, an
 * outcome is written only over a claim still held, one process runs one pass at a time, a status
 * read that Google did not answer parks the action, and a command whose state cannot be read is
 * given up on with a clear reason instead of being followed forever.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CircuitOpenError } from "../../agent/google/circuit-breaker";
import { createGoogleClient, GoogleCallError } from "../../agent/google/client";
import { type DirectoryAdapter, directoryAdapter } from "../../agent/google/directory";
import { createLogger } from "../../agent/log";
import { seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";
import { ActionWorker } from "../../agent/services/action-worker";
import { type Actor, recordActions } from "../../agent/services/device-actions";
import { fullSync } from "../../agent/services/inventory-sync";
import { openStore, type Store } from "../../agent/store/db";
import { gate } from "../support/gate";

const log = createLogger("silent");
const fast = { maxTries: 3, baseMs: 1, capMs: 5, jitterMs: 1 };
const lead: Actor = { id: "lead-1", name: "Pat Lead" };
let sandbox: RunningSandbox;
let store: Store;
let real: DirectoryAdapter;

beforeAll(async () => {
  sandbox = await startSandbox({ district: seedDistrict({ seed: 11, devices: 60 }), behaviour: { latencyMs: 1 } });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  sandbox.context.faults.clear();
  store = await openStore({ sqliteFile: ":memory:" });
  real = directoryAdapter(createGoogleClient({ rootUrl: sandbox.url, retry: fast }));
  await fullSync(store.db, real);
});
afterEach(() => store.close());

/** Waits until `condition` holds, or gives up after `boundMs` (the assertions after it decide). */
async function until(condition: () => Promise<boolean>, boundMs: number): Promise<void> {
  const stop = Date.now() + boundMs;
  while (Date.now() < stop && !(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function activeDevices(count: number) {
  const rows = await store.db.selectFrom("devices").selectAll().where("status", "=", "ACTIVE").orderBy("deviceId");
  const fresh = (await rows.execute()).filter(
    (r) => sandbox.context.district.devices.get(r.deviceId)?.status === "ACTIVE",
  );
  if (fresh.length < count) throw new Error("the sandbox ran out of active devices");
  return fresh.slice(0, count);
}

async function requestCommand(device: Awaited<ReturnType<typeof activeDevices>>[number], reason = "New student") {
  const [action] = await recordActions(
    store.db,
    lead,
    [{ device, kind: "command", commandType: "REMOTE_POWERWASH", reason }],
    { now: new Date() },
  );
  if (!action) throw new Error("no action");
  return action;
}

const row = (id: string) =>
  store.db.selectFrom("deviceActions").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

describe("a worker's claim", () => {
  it("is kept alive while Google is slow: a second worker neither fails nor repeats the command", async () => {
    const [device] = await activeDevices(1);
    if (!device) throw new Error("no device");
    const action = await requestCommand(device);
    const slow = gate();
    let issued = 0;
    const slowGoogle: DirectoryAdapter = {
      ...real,
      async issueCommand(...args) {
        issued += 1;
        slow.arrive();
        await slow.opened;
        return real.issueCommand(...args);
      },
    };
    const counting: DirectoryAdapter = {
      ...real,
      issueCommand: (...args) => {
        issued += 1;
        return real.issueCommand(...args);
      },
    };
    // One clock for both replicas; it jumps past the first claim while Google is still answering.
    let skew = 0;
    const now = () => new Date(Date.now() + skew);
    const a = new ActionWorker(store.db, slowGoogle, log, { holder: "a", claimMs: 3_000, now, commandPollMs: 1 });
    const b = new ActionWorker(store.db, counting, log, { holder: "b", claimMs: 3_000, now, commandPollMs: 1 });
    const commandsBefore = sandbox.context.district.commands.size;

    const first = a.tick();
    await slow.arrived;
    skew += 10 * 60_000;
    // Worker A is still at work, so its claim is renewed past the jump.
    await until(async () => ((await row(action.id)).claimedUntil ?? "") > now().toISOString(), 4_000);
    await b.tick();
    slow.open();
    await first;

    const during = await row(action.id);
    expect(during.state).toBe("sent");
    expect(during.commandId).toBeTruthy();
    expect(await a.drain(10_000)).toBe(true);
    const ended = await row(action.id);
    expect(ended.state).toBe("confirmed");
    expect(issued).toBe(1);
    expect(sandbox.context.district.commands.size).toBe(commandsBefore + 1);
  });

  it("is kept alive while a status change is slow: the disable is sent once and confirmed once", async () => {
    const [device] = await activeDevices(1);
    if (!device) throw new Error("no device");
    const [action] = await recordActions(store.db, lead, [{ device, kind: "disable", reason: "Stolen" }], {
      now: new Date(),
    });
    const slow = gate();
    const sent: string[] = [];
    const slowGoogle: DirectoryAdapter = {
      ...real,
      async changeStatus(...args) {
        sent.push(...args[0]);
        slow.arrive();
        await slow.opened;
        return real.changeStatus(...args);
      },
    };
    let skew = 0;
    const now = () => new Date(Date.now() + skew);
    const a = new ActionWorker(store.db, slowGoogle, log, { holder: "a", claimMs: 3_000, now });
    const b = new ActionWorker(store.db, slowGoogle, log, { holder: "b", claimMs: 3_000, now });
    const first = a.tick();
    await slow.arrived;
    skew += 10 * 60_000;
    await until(async () => ((await row(action?.id ?? "")).claimedUntil ?? "") > now().toISOString(), 4_000);
    const second = b.tick();
    slow.open();
    await Promise.all([first, second]);
    expect(sent).toEqual([device.deviceId]);
    expect((await row(action?.id ?? "")).state).toBe("confirmed");
    const audit = await store.db
      .selectFrom("auditLog")
      .select("action")
      .where("deviceId", "=", device.deviceId)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["device.disable.requested", "device.disable.confirmed"]);
  });

  it("writes nothing over an action another worker already ended, and says so in the log", async () => {
    const [device] = await activeDevices(1);
    if (!device) throw new Error("no device");
    const action = await requestCommand(device);
    const slow = gate();
    const slowGoogle: DirectoryAdapter = {
      ...real,
      async issueCommand(...args) {
        slow.arrive();
        await slow.opened;
        return real.issueCommand(...args);
      },
    };
    const lines: string[] = [];
    const listening = { ...log, warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const a = new ActionWorker(store.db, slowGoogle, listening, { holder: "a" });
    const first = a.tick();
    await slow.arrived;
    // As another replica would after deciding the claim had lapsed.
    const message = "TechDesk stopped while sending this command.";
    await store.db
      .updateTable("deviceActions")
      .set({
        state: "failed",
        error: message,
        claimedBy: null,
        claimedUntil: null,
        finishedAt: new Date().toISOString(),
      })
      .where("id", "=", action.id)
      .execute();
    slow.open();
    await first;
    const ended = await row(action.id);
    expect(ended).toMatchObject({ state: "failed", error: message, commandId: null, commandState: null });
    expect(lines.some((l) => /no longer held/.test(l))).toBe(true);
  });
});

describe("one pass at a time", () => {
  it("runs drain's pass after the pass in progress, never beside it", async () => {
    const [one, two] = await activeDevices(2);
    if (!one || !two) throw new Error("no device");
    await requestCommand(one, "Frozen");
    const slow = gate();
    const events: string[] = [];
    const slowGoogle: DirectoryAdapter = {
      ...real,
      async issueCommand(deviceId, ...rest) {
        events.push(`start ${deviceId}`);
        if (deviceId === one.deviceId) {
          slow.arrive();
          await slow.opened;
        }
        const id = await real.issueCommand(deviceId, ...rest);
        events.push(`end ${deviceId}`);
        return id;
      },
    };
    const worker = new ActionWorker(store.db, slowGoogle, log, { claimMs: 50, commandPollMs: 1 });
    const first = worker.tick();
    await slow.arrived;
    await requestCommand(two, "Frozen too");
    const draining = worker.drain(10_000);
    // A pass beside the first would send the second command now; give it the chance.
    await until(async () => events.includes(`start ${two.deviceId}`), 1_000);
    slow.open();
    await first;
    expect(await draining).toBe(true);
    expect(events.indexOf(`end ${one.deviceId}`)).toBeLessThan(events.indexOf(`start ${two.deviceId}`));
    expect(events.filter((e) => e.startsWith("start"))).toHaveLength(2);
    const states = await store.db.selectFrom("deviceActions").select("state").execute();
    expect(states.map((s) => s.state)).toEqual(["confirmed", "confirmed"]);
  });
});

describe("a status read Google did not answer", () => {
  it.each([
    [
      "a 503 after retries",
      () => new GoogleCallError("directory", "devices.get", { status: 503, network: false, message: "Unavailable" }, 3),
    ],
    ["the circuit breaker open", () => new CircuitOpenError("directory", Date.now() + 60_000)],
  ])("parks a refused disable instead of failing it (%s)", async (_name, failure) => {
    const [device] = await activeDevices(1);
    if (!device) throw new Error("no device");
    const [action] = await recordActions(store.db, lead, [{ device, kind: "disable", reason: "Stolen" }], {
      now: new Date(),
    });
    // Google applied an earlier attempt (its answer was lost): a resend is refused for this device.
    const google = sandbox.context.district.devices.get(device.deviceId);
    if (google) google.status = "DISABLED";
    let reads = 0;
    const flaky: DirectoryAdapter = {
      ...real,
      getDevice: (...args) => (reads++ === 0 ? Promise.reject(failure()) : real.getDevice(...args)),
    };
    let skew = 0;
    const now = () => new Date(Date.now() + skew);
    const worker = new ActionWorker(store.db, flaky, log, { backoffMs: 60_000, now });
    await worker.tick();
    const parked = await row(action?.id ?? "");
    expect(parked.state).toBe("requested");
    expect(parked.error).toBeTruthy();
    skew += 120_000;
    expect(await worker.drain(10_000)).toBe(true);
    const ended = await row(action?.id ?? "");
    expect(ended.state).toBe("confirmed");
    expect(JSON.parse(ended.result ?? "{}")).toMatchObject({ alreadyApplied: true, status: "DISABLED" });
    const notices = await store.db.selectFrom("notifications").select("title").execute();
    expect(notices.filter((n) => n.title.includes("failed"))).toEqual([]);
  });

  it("still fails a refused disable when Google answers that the device is not in the wanted state", async () => {
    const [device] = await activeDevices(1);
    if (!device) throw new Error("no device");
    const [action] = await recordActions(store.db, lead, [{ device, kind: "disable", reason: "Stolen" }], {
      now: new Date(),
    });
    const google = sandbox.context.district.devices.get(device.deviceId);
    if (google) google.status = "DEPROVISIONED";
    const worker = new ActionWorker(store.db, real, log, { backoffMs: 1 });
    expect(await worker.drain(10_000)).toBe(true);
    expect((await row(action?.id ?? "")).state).toBe("failed");
  });
});

describe("following a command", () => {
  it("gives up with a clear reason when Google no longer knows the command (404)", async () => {
    const [device] = await activeDevices(1);
    if (!device) throw new Error("no device");
    const action = await requestCommand(device);
    let reads = 0;
    const gone: DirectoryAdapter = {
      ...real,
      getCommand: () => {
        reads += 1;
        return Promise.reject(
          new GoogleCallError(
            "directory",
            "devices.commands.get",
            { status: 404, network: false, message: "Resource Not Found: commandId" },
            1,
          ),
        );
      },
    };
    const worker = new ActionWorker(store.db, gone, log, { backoffMs: 1, maxBackoffMs: 2, commandPollMs: 1 });
    expect(await worker.drain(5_000)).toBe(true);
    const ended = await row(action.id);
    expect(ended.state).toBe("failed");
    expect(ended.error).toMatch(/Google no longer has this command/);
    expect(reads).toBe(1);
  });

  it("gives up after a bounded number of failed reads, and says Google may have run it", async () => {
    const [device] = await activeDevices(1);
    if (!device) throw new Error("no device");
    const action = await requestCommand(device);
    let reads = 0;
    const failing: DirectoryAdapter = {
      ...real,
      getCommand: () => {
        reads += 1;
        return Promise.reject(
          new GoogleCallError("directory", "devices.commands.get", { status: 503, network: false, message: "x" }, 3),
        );
      },
    };
    const worker = new ActionWorker(store.db, failing, log, {
      backoffMs: 1,
      maxBackoffMs: 2,
      commandPollMs: 1,
      commandTries: 5,
    });
    expect(await worker.drain(5_000)).toBe(true);
    const ended = await row(action.id);
    expect(ended.state).toBe("failed");
    expect(ended.commandId).toBeTruthy();
    expect(ended.error).toMatch(/could not read this command's state from Google/);
    expect(reads).toBe(5);
  });

  it("counts only failed reads after the command went out, not the tries to send it while Google was down", async () => {
    const [device] = await activeDevices(1);
    if (!device) throw new Error("no device");
    const action = await requestCommand(device);
    let sends = 0;
    let reads = 0;
    const flaky: DirectoryAdapter = {
      ...real,
      // Google is unavailable for the first six tries: the command is parked each time, surely not sent.
      issueCommand: (...args: Parameters<DirectoryAdapter["issueCommand"]>) => {
        sends += 1;
        if (sends <= 6)
          return Promise.reject(
            new GoogleCallError("directory", "devices.issueCommand", { status: 503, network: false, message: "x" }, 1),
          );
        return real.issueCommand(...args);
      },
      // One read of its state fails, then Google answers.
      getCommand: (...args: Parameters<DirectoryAdapter["getCommand"]>) => {
        reads += 1;
        if (reads === 1)
          return Promise.reject(
            new GoogleCallError("directory", "devices.commands.get", { status: 503, network: false, message: "x" }, 3),
          );
        return real.getCommand(...args);
      },
    };
    const worker = new ActionWorker(store.db, flaky, log, {
      backoffMs: 1,
      maxBackoffMs: 2,
      commandPollMs: 1,
      commandTries: 5,
    });
    await until(async () => {
      await worker.tick();
      const now = await row(action.id);
      return now.state !== "requested" && now.state !== "sent";
    }, 10_000);
    const ended = await row(action.id);
    expect(sends).toBe(7);
    expect(ended.error).toBeNull();
    expect(ended.state).toBe("confirmed");
  });
});
