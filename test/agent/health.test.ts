import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorEnvelope } from "../../shared";
import { createTestAgent, type TestAgent } from "../support/agent";

let agent: TestAgent;
beforeEach(async () => {
  agent = await createTestAgent();
});
afterEach(() => agent.close());

describe("the app", () => {
  it("answers /healthz", async () => {
    expect(await (await agent.get("/healthz")).json()).toEqual({ status: "ok" });
  });

  it("answers unknown routes with the envelope", async () => {
    const response = await agent.get("/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(errorEnvelope.parse(await response.json()).error.code).toBe("not_found");
  });

  it("answers CORS for the extension's origin only", async () => {
    const preflight = (origin: string) =>
      agent.app.request("/v1/reports", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,authorization",
        },
      });
    const ours = await preflight("chrome-extension://hclbedhgmicmhmlakomhbojpgaokbmko");
    expect(ours.headers.get("access-control-allow-origin")).toBe("chrome-extension://hclbedhgmicmhmlakomhbojpgaokbmko");
    const theirs = await preflight("https://evil.example");
    expect(theirs.headers.get("access-control-allow-origin")).toBeNull();
  });
});
