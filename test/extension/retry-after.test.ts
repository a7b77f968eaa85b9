/**
 * The extension against the real agent's rate limit: a report refused with 429 stays in the outbox,
 * is not tried again before the agent's Retry-After has passed, and then files exactly one ticket.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { deviceLimits } from "../../agent/auth/device-throttle";
import { AgentError, createAgentClient, maxRetryAfterMs, retryAfterMs } from "../../extension/agent-client";
import { deliverReport } from "../../extension/delivery";
import { enrollmentItem } from "../../extension/enrollment";
import { Outbox } from "../../extension/outbox/outbox";
import { outboxItem } from "../../extension/outbox/storage";
import { bearer, createTestAgent, enrollmentToken, sampleReport, type TestAgent } from "../support/agent";

const agentUrl = "https://agent.example";
let agent: TestAgent;
let clock: number;
/** Every report the extension sent, by idempotency key. */
let sent: string[];

beforeEach(async () => {
  clock = Date.parse("2026-03-02T08:00:00.000Z");
  agent = await createTestAgent(undefined, {}, () => new Date(clock));
  sent = [];
  vi.spyOn(fakeBrowser.runtime, "getManifest").mockReturnValue({
    manifest_version: 3,
    name: "TechDesk",
    version: "0.1.0",
  });
  await fakeBrowser.storage.managed.set({ agentUrl, enrollmentToken });
  // The extension's fetch reaches the agent app in this process.
  vi.stubGlobal("fetch", async (input: string, init: RequestInit) => {
    const url = new URL(input);
    if (url.pathname === "/v1/reports") sent.push(new Headers(init.headers).get("idempotency-key") ?? "");
    return agent.app.request(url.pathname, init);
  });
});
afterEach(async () => {
  fakeBrowser.reset();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  await agent.close();
});

async function ticketsFor(key: string): Promise<number> {
  const rows = await agent.store.db.selectFrom("reports").select("id").where("idempotencyKey", "=", key).execute();
  return rows.length;
}

/** Spends what is left of the device's report bucket, as a device in a loop would. */
async function spendReportBucket(): Promise<void> {
  const credential = (await enrollmentItem.getValue())?.credential ?? "";
  for (let i = 0; i < deviceLimits.reports.burst; i++) {
    const response = await agent.post("/v1/reports", sampleReport(), bearer(credential));
    if (response.status === 429) return;
  }
  throw new Error("the agent never refused a report");
}

// It sends the agent a device's whole burst of reports first: slow on a busy machine.
describe("a report refused with 429", { timeout: 30_000 }, () => {
  it("waits out Retry-After, stays queued, and is then delivered exactly once", async () => {
    const outbox = new Outbox({ storage: outboxItem, send: deliverReport, now: () => clock, random: () => 0.5 });
    // The device enrols and files a first report, then something spends its bucket.
    await outbox.enqueue(sampleReport());
    expect((await outbox.flush()).delivered).toHaveLength(1);
    await spendReportBucket();

    const report = sampleReport({ note: "The keyboard types double letters." });
    const later = sampleReport({ note: "The charger light stays off." });
    await outbox.enqueue(report);
    await outbox.enqueue(later);
    const refused = await outbox.flush();
    expect(refused).toMatchObject({ delivered: [], pending: 2 });
    const waitMs = 3_600_000 / deviceLimits.reports.perHour;
    const [entry, held] = (await outbox.status()).entries;
    expect(entry).toMatchObject({ report: { idempotencyKey: report.idempotencyKey }, attempts: 1 });
    expect(entry?.lastError).toMatch(/more are accepted in 2 minutes/);
    expect(entry?.nextAttemptAt).toBeGreaterThanOrEqual(clock + waitMs);
    // The limit is the device's: the report behind it holds back too, without counting an attempt.
    expect(held).toMatchObject({ report: { idempotencyKey: later.idempotencyKey }, attempts: 0 });
    expect(held?.nextAttemptAt).toBeGreaterThanOrEqual(clock + waitMs);
    expect(sent.filter((key) => key === report.idempotencyKey)).toHaveLength(1);

    // A second short of the wait, the delivery alarm finds nothing due and sends nothing.
    const sentBefore = sent.length;
    clock += waitMs - 1000;
    expect(await outbox.flush()).toMatchObject({ delivered: [], pending: 2 });
    expect(sent).toHaveLength(sentBefore);

    // Once it has passed, the report goes, and files one ticket.
    clock = refused.nextAttemptAt ?? Number.NaN;
    const delivered = await outbox.flush();
    expect(delivered.delivered.map((d) => d.idempotencyKey)).toContain(report.idempotencyKey);
    expect(await ticketsFor(report.idempotencyKey)).toBe(1);

    // The one behind it follows when the agent has room again; nothing is sent twice or lost.
    for (let i = 0; i < 10 && (await outbox.status()).entries.length; i++) {
      clock = (await outbox.status()).nextAttemptAt ?? clock;
      await outbox.flush();
    }
    expect((await outbox.status()).entries).toEqual([]);
    expect(await ticketsFor(later.idempotencyKey)).toBe(1);
    expect(sent.filter((key) => key === report.idempotencyKey)).toHaveLength(2);
    clock += 24 * 3_600_000;
    await outbox.flush();
    expect(await ticketsFor(report.idempotencyKey)).toBe(1);
    expect((await outbox.status()).delivered.map((d) => d.idempotencyKey)).toEqual(
      expect.arrayContaining([report.idempotencyKey, later.idempotencyKey]),
    );
  });
});

describe("the agent client", () => {
  it("reads Retry-After in seconds or as a date, bounded to an hour", async () => {
    const now = Date.parse("2026-03-02T08:00:00.000Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Mon, 02 Mar 2026 08:01:30 GMT", now)).toBe(90_000);
    expect(retryAfterMs("Mon, 02 Mar 2026 07:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("86400", now)).toBe(maxRetryAfterMs);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it("carries the agent's Retry-After on the error", async () => {
    const answer = new Response(
      JSON.stringify({ error: { code: "rate_limited", message: "Too many.", requestId: "r" } }),
      { status: 429, headers: { "content-type": "application/json", "retry-after": "90" } },
    );
    const client = createAgentClient({ agentUrl, fetch: async () => answer });
    const error = await client.myTickets("tdd_x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ status: 429, code: "rate_limited", retryable: true, retryAfterMs: 90_000 });
  });
});
