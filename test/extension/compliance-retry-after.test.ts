/**
 * The compliance report against the agent's rate limit: refused with 429, it is not sent again before
 * the agent's Retry-After (seconds or an HTTP date) has passed, also when the worker starts afresh,
 * and it goes at the first alarm after. Without a readable Retry-After the next alarm tries, as before.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { AgentError } from "../../extension/agent-client";
import { reportCompliance } from "../../extension/compliance";
import { createTestAgent, enrollmentToken, type TestAgent } from "../support/agent";
import { restoreChrome, stubChrome } from "./chrome-stubs";

const agentUrl = "https://agent.example";
const t0 = Date.parse("2026-03-02T08:00:00.000Z");
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const refused = (headers: Record<string, string> = {}) =>
  json(429, { error: { code: "rate_limited", message: "Too many compliance reports.", requestId: "r" } }, headers);

/** Every POST /v1/compliance the extension made. */
let posts: number;

beforeEach(async () => {
  posts = 0;
  vi.spyOn(fakeBrowser.runtime, "getManifest").mockReturnValue({
    manifest_version: 3,
    name: "TechDesk",
    version: "0.1.0",
  });
  vi.stubGlobal("chrome", fakeBrowser);
  await fakeBrowser.storage.managed.set({ agentUrl, enrollmentToken });
  stubChrome(
    "permissions.contains",
    vi.fn(async () => false),
  );
  stubChrome("proxy.settings", {
    get: (_: unknown, callback: (d: unknown) => void) => callback({ value: { mode: "direct" } }),
  });
});
afterEach(() => {
  restoreChrome();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** An agent that enrols anyone and answers compliance reports with `answers`, in turn, then 200. */
function fakeAgent(...answers: (() => Response)[]) {
  vi.stubGlobal("fetch", async (input: string) => {
    const path = new URL(input).pathname;
    if (path === "/v1/enroll") return json(201, { deviceId: "d1", credential: "tdd_one" });
    posts += 1;
    return answers.shift()?.() ?? json(200, { recorded: true });
  });
}

describe("against the agent's rate limit", () => {
  let agent: TestAgent;
  let clock: number;
  beforeEach(async () => {
    clock = t0;
    // One report at once, then one every two minutes: the next is refused with Retry-After: 120.
    agent = await createTestAgent(undefined, {}, () => new Date(clock), {
      deviceLimits: { compliance: { burst: 1, perHour: 30 } },
    });
    // The extension's fetch reaches the agent app in this process.
    vi.stubGlobal("fetch", async (input: string, init: RequestInit) => {
      const url = new URL(input);
      if (url.pathname === "/v1/compliance") posts += 1;
      return agent.app.request(url.pathname, init);
    });
  });
  afterEach(() => agent.close());

  it("is not sent again before Retry-After has passed, even when forced, and goes at the first alarm after", async () => {
    expect(await reportCompliance({ now: clock })).toBe("sent");
    // `management` is granted: the report goes at once, and the agent refuses it.
    const error = await reportCompliance({ force: true, now: clock }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 120_000 });
    expect(posts).toBe(2);

    clock = t0 + 119_000;
    expect(await reportCompliance({ now: clock })).toBe("rate limited");
    expect(await reportCompliance({ force: true, now: clock })).toBe("rate limited");
    expect(posts).toBe(2);

    // The first alarm after it sends the report it owes, though the last went less than six hours ago.
    clock = t0 + 120_000;
    expect(await reportCompliance({ now: clock })).toBe("sent");
    expect(posts).toBe(3);
    const row = await agent.store.db.selectFrom("deviceCompliance").select("reportedAt").executeTakeFirst();
    expect(row?.reportedAt).toBe(new Date(t0 + 120_000).toISOString());
    // Then back to one every six hours.
    expect(await reportCompliance({ now: clock + 60_000 })).toBe("sent recently");
    expect(posts).toBe(3);
  });
});

describe("Retry-After as the agent may word it", () => {
  it("waits until an HTTP date", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: t0 });
    fakeAgent(() => refused({ "retry-after": new Date(t0 + 120_000).toUTCString() }));
    await expect(reportCompliance({ now: t0 })).rejects.toThrow("Too many compliance reports.");
    expect(await reportCompliance({ now: t0 + 119_999 })).toBe("rate limited");
    expect(posts).toBe(1);
    expect(await reportCompliance({ now: t0 + 120_000 })).toBe("sent");
    expect(posts).toBe(2);
  });

  it.each([
    ["missing", {}],
    ["garbled", { "retry-after": "soon" }],
  ])("a %s Retry-After holds nothing back: the next alarm tries again", async (_, headers) => {
    fakeAgent(
      () => refused({ "retry-after": "120" }),
      () => refused(headers),
    );
    await expect(reportCompliance({ now: t0 })).rejects.toThrow("Too many");
    expect(await reportCompliance({ now: t0 + 60_000 })).toBe("rate limited");
    await expect(reportCompliance({ now: t0 + 120_000 })).rejects.toThrow("Too many");
    // No new wait was set from it: the very next alarm sends.
    expect(await reportCompliance({ now: t0 + 121_000 })).toBe("sent");
    expect(posts).toBe(3);
  });

  it("a wait longer than any Retry-After taken (the clock was set back) holds nothing back", async () => {
    fakeAgent(() => refused({ "retry-after": "120" }));
    await expect(reportCompliance({ now: t0 })).rejects.toThrow("Too many");
    expect(await reportCompliance({ now: t0 + 1_000 })).toBe("rate limited");
    expect(await reportCompliance({ now: t0 - 2 * 3_600_000 })).toBe("sent");
    expect(posts).toBe(2);
  });
});

describe("a worker stopped while the agent's wait lasts", () => {
  it("reads the wait back from storage when it starts again", async () => {
    fakeAgent(() => refused({ "retry-after": "120" }));
    await expect(reportCompliance({ now: t0 })).rejects.toThrow("Too many");
    // Chrome stops the idle worker: its modules start again from nothing but storage.
    vi.resetModules();
    const restarted = await import("../../extension/compliance");
    expect(await restarted.reportCompliance({ now: t0 + 60_000 })).toBe("rate limited");
    expect(posts).toBe(1);
    expect(await restarted.reportCompliance({ now: t0 + 120_000 })).toBe("sent");
    expect(posts).toBe(2);
  });
});
