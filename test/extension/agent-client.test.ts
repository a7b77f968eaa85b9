import { afterEach, describe, expect, it, vi } from "vitest";
import { AgentError, createAgentClient } from "../../extension/agent-client";
import { maxScreenshotChars } from "../../shared";
import { sampleReport } from "../support/agent";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("agent client", () => {
  it("sends the report with its credential and idempotency key, and reads the receipt", async () => {
    const ticket = {
      number: 7,
      status: "open",
      queue: "student_tech_team",
      tier: 1,
      category: "screen",
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    const fetch = vi.fn().mockResolvedValue(json(201, { ticket }));
    const client = createAgentClient({ agentUrl: "https://agent.example/", fetch });
    const report = sampleReport();
    expect(await client.sendReport("tdd_secret", report)).toEqual({ ticket });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe("https://agent.example/v1/reports");
    expect(init.headers).toMatchObject({
      authorization: "Bearer tdd_secret",
      "idempotency-key": report.idempotencyKey,
    });
  });

  it.each([
    [0, true],
    [429, true],
    [503, true],
    [400, false],
    [401, false],
    [413, false],
  ])("classifies status %i as retryable=%s", (status, retryable) => {
    expect(new AgentError("x", status).retryable).toBe(retryable);
  });

  it("turns the error envelope into an AgentError with its code, and a network failure into status 0", async () => {
    const refused = createAgentClient({
      agentUrl: "https://agent.example",
      fetch: vi
        .fn()
        .mockResolvedValue(json(400, { error: { code: "invalid_body", message: "Bad note", requestId: "r1" } })),
    });
    await expect(refused.sendReport("c", sampleReport())).rejects.toMatchObject({
      status: 400,
      code: "invalid_body",
      message: "Bad note",
    });
    const offline = createAgentClient({
      agentUrl: "https://agent.example",
      fetch: vi.fn().mockRejectedValue(new TypeError("Failed to fetch")),
    });
    await expect(offline.sendReport("c", sampleReport())).rejects.toMatchObject({ status: 0, retryable: true });
  });

  it("refuses an answer that does not fit the contract", async () => {
    const client = createAgentClient({
      agentUrl: "https://agent.example",
      fetch: vi.fn().mockResolvedValue(json(201, { ticket: { number: "x" } })),
    });
    await expect(client.sendReport("c", sampleReport())).rejects.toMatchObject({ status: 502 });
  });
});

describe("agent client timeouts", () => {
  /** `AbortSignal.timeout` on the test's clock (Node's own ignores fake timers). */
  function fakeTimeoutSignals() {
    vi.useFakeTimers();
    vi.spyOn(AbortSignal, "timeout").mockImplementation((ms) => {
      const controller = new AbortController();
      setTimeout(
        () => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
        ms,
      );
      return controller.signal;
    });
  }

  /**
   * A fetch over a link that uploads `bitsPerSecond` (0: a stalled one), then answers; it stops when
   * its signal aborts.
   */
  function slowLink(bitsPerSecond: number) {
    return vi.fn(
      (_url: RequestInfo | URL, init: RequestInit = {}) =>
        new Promise<Response>((resolve, reject) => {
          const bytes = new TextEncoder().encode(String(init.body ?? "")).byteLength;
          const timer =
            bitsPerSecond > 0
              ? setTimeout(() => resolve(json(201, { ticket: ticketOf(1) })), (bytes * 8 * 1000) / bitsPerSecond)
              : undefined;
          init.signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(init.signal?.reason);
          });
        }),
    );
  }

  const ticketOf = (number: number) => ({
    number,
    status: "open",
    queue: "student_tech_team",
    tier: 1,
    category: "screen",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("gives a report with a 3 MiB screenshot the time a 1 Mbit/s upload needs", async () => {
    fakeTimeoutSignals();
    const prefix = "data:image/jpeg;base64,";
    const report = sampleReport({ screenshot: prefix + "A".repeat(maxScreenshotChars - prefix.length) });
    const client = createAgentClient({ agentUrl: "https://agent.example", fetch: slowLink(1_000_000) });
    const sent = client.sendReport("c", report);
    const outcome = sent.then(
      (receipt) => ({ receipt }),
      (error: unknown) => ({ error }),
    );
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await outcome).toEqual({ receipt: { ticket: ticketOf(1) } });
  });

  it("still gives up on a request without a body after 15 s, and on a large one once even 256 kbit/s would be done", async () => {
    fakeTimeoutSignals();
    const small = createAgentClient({ agentUrl: "https://agent.example", fetch: slowLink(0) });
    const stalled = small.myTickets("c").catch((error: AgentError) => error);
    await vi.advanceTimersByTimeAsync(15_001);
    expect(await stalled).toMatchObject({ status: 0, retryable: true });

    const prefix = "data:image/jpeg;base64,";
    const report = sampleReport({ screenshot: prefix + "A".repeat(maxScreenshotChars - prefix.length) });
    const bytes = new TextEncoder().encode(JSON.stringify(report)).byteLength;
    const large = createAgentClient({ agentUrl: "https://agent.example", fetch: slowLink(0) });
    let settled = false;
    const stalledLarge = large.sendReport("c", report).catch((error: AgentError) => error);
    void stalledLarge.finally(() => {
      settled = true;
    });
    const allowance = 15_000 + (bytes * 8 * 1000) / 256_000;
    await vi.advanceTimersByTimeAsync(allowance - 1_000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await stalledLarge).toMatchObject({ status: 0, retryable: true });
  });
});
