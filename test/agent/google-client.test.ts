/** The Google client through the real `googleapis` services against the sandbox, with injected faults. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CircuitBreaker, CircuitOpenError } from "../../agent/google/circuit-breaker";
import { createGoogleClient, GoogleCallError } from "../../agent/google/client";
import { directoryAdapter } from "../../agent/google/directory";
import { CallLimiter } from "../../agent/google/limiter";
import {
  describeGoogleError,
  googleRetryPolicy,
  isRetryable,
  retryDelayMs,
  surelyNotActed,
} from "../../agent/google/retry";
import { seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";

let sandbox: RunningSandbox;
const fast = { maxTries: 10, baseMs: 1, capMs: 5, jitterMs: 1 };

beforeAll(async () => {
  sandbox = await startSandbox({ district: seedDistrict({ seed: 11, devices: 400 }) });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.context.faults.clear());

const client = (overrides: Parameters<typeof createGoogleClient>[0] = {}) =>
  createGoogleClient({ rootUrl: sandbox.url, retry: fast, ...overrides });

describe("the retry rule", () => {
  it("retries Google's throttling reasons, 429, 5xx and network errors, and nothing else", () => {
    const cases: [object, boolean][] = [
      [{ response: { status: 403, data: { error: { errors: [{ reason: "userRateLimitExceeded" }] } } } }, true],
      [{ response: { status: 403, data: { error: { errors: [{ reason: "quotaExceeded" }] } } } }, true],
      [{ response: { status: 403, data: { error: { errors: [{ reason: "forbidden" }] } } } }, false],
      [{ response: { status: 429, data: {} } }, true],
      [{ response: { status: 503, data: {} } }, true],
      [{ response: { status: 404, data: {} } }, false],
      [{ code: "ECONNRESET", message: "socket hang up" }, true],
    ];
    for (const [error, retryable] of cases)
      expect(isRetryable(describeGoogleError(error)), JSON.stringify(error)).toBe(retryable);
  });

  it("sends a request that is not idempotent again only after throttling or 503, when Google surely did not act", () => {
    const cases: [object, boolean][] = [
      [{ response: { status: 429, data: {} } }, true],
      [{ response: { status: 403, data: { error: { errors: [{ reason: "rateLimitExceeded" }] } } } }, true],
      [{ response: { status: 503, data: {} } }, true],
      [{ response: { status: 500, data: { error: { errors: [{ reason: "backendError" }] } } } }, false],
      [{ response: { status: 502, data: {} } }, false],
      [{ response: { status: 504, data: {} } }, false],
      [{ response: { status: 403, data: { error: { errors: [{ reason: "forbidden" }] } } } }, false],
      [{ code: "ECONNRESET", message: "socket hang up" }, false],
    ];
    for (const [error, safe] of cases)
      expect(surelyNotActed(describeGoogleError(error)), JSON.stringify(error)).toBe(safe);
  });

  it("waits min(2^n, 60) s plus up to 1 s, or longer when Retry-After says so", () => {
    const failure = describeGoogleError({ response: { status: 429, data: {} } });
    expect([0, 1, 2, 5, 6, 9].map((n) => retryDelayMs(n, googleRetryPolicy, failure, () => 0))).toEqual([
      1000, 2000, 4000, 32000, 60000, 60000,
    ]);
    expect(retryDelayMs(0, googleRetryPolicy, failure, () => 0.999)).toBeLessThan(2000);
    const later = describeGoogleError({ response: { status: 429, headers: { "retry-after": "120" }, data: {} } });
    expect(retryDelayMs(0, googleRetryPolicy, later, () => 0)).toBe(120_000);
    // Retry-After may also be an HTTP date.
    const date = new Date(Date.now() + 90_000).toUTCString();
    const dated = describeGoogleError({ response: { status: 503, headers: { "retry-after": date }, data: {} } });
    expect(dated.retryAfterMs).toBeGreaterThan(85_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(90_000);
  });
});

describe("the Google client against the sandbox", () => {
  it("survives 429, 403 rate limits, 503 and a dropped connection on a listing", async () => {
    const faults = sandbox.context.faults;
    faults.inject({ fault: { kind: "status", status: 429 }, times: 1 });
    faults.inject({ fault: { kind: "rateLimit", reason: "rateLimitExceeded" }, times: 1 });
    faults.inject({ fault: { kind: "rateLimit", reason: "userRateLimitExceeded" }, times: 1 });
    faults.inject({ fault: { kind: "status", status: 503 }, times: 1 });
    faults.inject({ fault: { kind: "drop" }, times: 1 });
    const google = client();
    const page = await directoryAdapter(google).listDevicesPage({});
    expect(page.devices).toHaveLength(300);
    expect(google.calls).toBe(6);
  });

  it("does not retry what cannot succeed, and says why", async () => {
    const google = client();
    await expect(directoryAdapter(google).getDevice("no-such-device")).rejects.toMatchObject({
      name: "GoogleCallError",
      tries: 1,
      failure: { status: 404, reason: "notFound" },
    });
  });

  it("gives up after its tries", async () => {
    sandbox.context.faults.inject({ fault: { kind: "status", status: 503 }, times: 3 });
    const google = client({ retry: { ...fast, maxTries: 3 } });
    const error = await directoryAdapter(google)
      .listOrgUnits()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoogleCallError);
    expect((error as GoogleCallError).tries).toBe(3);
  });

  it("changes status in chunks of 50 with one result per device", async () => {
    const google = client();
    const adapter = directoryAdapter(google);
    const { devices } = await adapter.listDevicesPage({ query: "status:active", maxResults: 120 });
    const ids = devices.map((d) => d.deviceId as string);
    const before = sandbox.context.faults.calls;
    const results = await adapter.changeStatus(ids, "DISABLE");
    expect(sandbox.context.faults.calls - before).toBe(3);
    expect(results).toHaveLength(120);
    expect(results.every((r) => r.response)).toBe(true);
    const again = await adapter.changeStatus([...ids.slice(0, 2), "missing"], "REENABLE");
    expect(again.filter((r) => r.error).map((r) => r.deviceId)).toEqual(["missing"]);
    await adapter.changeStatus(ids.slice(2), "REENABLE");
  });

  it("finds a device by exact serial only, though Google's serial query matches partially", async () => {
    const adapter = directoryAdapter(client());
    const { devices } = await adapter.listDevicesPage({ maxResults: 1 });
    const serial = devices[0]?.serialNumber as string;
    expect((await adapter.findBySerial(serial)).map((d) => d.serialNumber)).toEqual([serial]);
    expect(await adapter.findBySerial(serial.slice(0, 5))).toEqual([]);
  });

  it("does not resend a command after a dropped connection, retries it when throttled, and dedupes by our key", async () => {
    const adapter = directoryAdapter(client());
    const { devices } = await adapter.listDevicesPage({ query: "status:active", maxResults: 1 });
    const deviceId = devices[0]?.deviceId as string;
    sandbox.context.faults.inject({ fault: { kind: "drop" }, times: 1, match: /issueCommand/ });
    await expect(adapter.issueCommand(deviceId, "REBOOT", "action-1")).rejects.toBeInstanceOf(GoogleCallError);
    sandbox.context.faults.inject({ fault: { kind: "status", status: 503 }, times: 1, match: /issueCommand/ });
    const first = await adapter.issueCommand(deviceId, "REBOOT", "action-2");
    const again = await adapter.issueCommand(deviceId, "REBOOT", "action-2");
    expect(again).toBe(first);
    const issued = [...sandbox.context.district.commands.values()].filter((c) => c.deviceId === deviceId);
    // The dropped request was cut before the sandbox acted on it and was not resent; the throttled
    // one was retried once; the second call with the same key sent nothing.
    expect(issued).toHaveLength(1);
  });

  it("forgets a deduplicated call's answer a while after it succeeded", async () => {
    const adapter = directoryAdapter(client({ dedupeKeptMs: 1_000 }));
    const { devices } = await adapter.listDevicesPage({ query: "status:active", maxResults: 2 });
    const deviceId = devices[1]?.deviceId as string;
    const count = () => [...sandbox.context.district.commands.values()].filter((c) => c.deviceId === deviceId).length;
    const first = await adapter.issueCommand(deviceId, "REBOOT", "action-kept");
    expect(await adapter.issueCommand(deviceId, "REBOOT", "action-kept")).toBe(first);
    expect(count()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await adapter.issueCommand(deviceId, "REBOOT", "action-kept")).not.toBe(first);
    expect(count()).toBe(2);
  });

  it("opens its circuit while Google keeps failing, and closes it when Google is back", async () => {
    sandbox.context.faults.inject({ fault: { kind: "status", status: 500 }, times: 3 });
    // A cooldown a loaded machine cannot outlast between two calls in a row.
    const google = client({ retry: { ...fast, maxTries: 1 }, breaker: { threshold: 2, cooldownMs: 1_000 } });
    const adapter = directoryAdapter(google);
    await expect(adapter.listOrgUnits()).rejects.toBeInstanceOf(GoogleCallError);
    await expect(adapter.listOrgUnits()).rejects.toBeInstanceOf(GoogleCallError);
    await expect(adapter.listOrgUnits()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(google.breakerState("directory")).toBe("open");
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(adapter.listOrgUnits()).rejects.toBeInstanceOf(GoogleCallError); // the trial fails: open again
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await adapter.listOrgUnits()).length).toBeGreaterThan(0);
    expect(google.breakerState("directory")).toBe("closed");
  });
});

describe("limiter and breaker", () => {
  it("keeps at most `concurrency` calls in flight", async () => {
    const limiter = new CallLimiter(3, 1000);
    let inFlight = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        limiter.run(async () => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inFlight -= 1;
        }),
      ),
    );
    expect(most).toBe(3);
  });

  it("starts at most `perMinute` calls in a rolling minute", async () => {
    let now = 0;
    // The clock is ours; the limiter's waits are short real pauses so the test sees it hold back.
    const limiter = new CallLimiter(
      10,
      2,
      () => now,
      () => new Promise((resolve) => setTimeout(resolve, 2)),
    );
    await limiter.run(async () => {});
    await limiter.run(async () => {});
    let third = false;
    const pending = limiter.run(async () => {
      third = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(third).toBe(false);
    now = 60_001;
    await pending;
    expect(third).toBe(true);
  });

  it("lets one trial through when half open", async () => {
    let now = 0;
    const breaker = new CircuitBreaker("test", 1, 100, () => now);
    await expect(breaker.run(() => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(breaker.state).toBe("open");
    now = 150;
    expect(breaker.state).toBe("half-open");
    expect(await breaker.run(async () => "ok")).toBe("ok");
    expect(breaker.state).toBe("closed");
  });

  it("parks other work until a cooldown from now while the trial call is still running", async () => {
    let now = 0;
    const breaker = new CircuitBreaker("test", 1, 100, () => now);
    await expect(breaker.run(() => Promise.reject(new Error("down")))).rejects.toThrow("down");
    now = 150;
    let endTrial: (value: string) => void = () => {};
    const trial = breaker.run(() => new Promise<string>((resolve) => (endTrial = resolve)));
    now = 400;
    const parked = await breaker.run(async () => "not run").catch((error: unknown) => error);
    expect(parked).toBeInstanceOf(CircuitOpenError);
    expect((parked as CircuitOpenError).retryAtMs).toBe(500);
    endTrial("ok");
    expect(await trial).toBe("ok");
    expect(breaker.state).toBe("closed");
  });
});
