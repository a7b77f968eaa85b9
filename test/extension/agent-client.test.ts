import { describe, expect, it, vi } from "vitest";
import { AgentError, createAgentClient } from "../../extension/agent-client";
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
