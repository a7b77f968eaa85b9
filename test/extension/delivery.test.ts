import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { deliverReport } from "../../extension/delivery";
import { enrollmentItem } from "../../extension/enrollment";
import { sampleReport } from "../support/agent";

const ticket = {
  number: 12,
  status: "open",
  queue: "student_tech_team",
  tier: 1,
  category: "screen",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

beforeEach(async () => {
  vi.spyOn(fakeBrowser.runtime, "getManifest").mockReturnValue({
    manifest_version: 3,
    name: "TechDesk",
    version: "0.1.0",
  });
  await fakeBrowser.storage.managed.set({ agentUrl: "https://agent.example", enrollmentToken: "district-token" });
});
afterEach(() => {
  fakeBrowser.reset();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("deliverReport", () => {
  it("enrols once, then sends with the credential", async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(json(201, { deviceId: "d1", credential: "tdd_one" }))
      .mockImplementation(async () => json(201, { ticket }));
    vi.stubGlobal("fetch", fetch);
    expect(await deliverReport(sampleReport())).toMatchObject({ kind: "delivered" });
    expect(await deliverReport(sampleReport())).toMatchObject({ kind: "delivered" });
    expect(fetch.mock.calls.map((c) => c[0])).toEqual([
      "https://agent.example/v1/enroll",
      "https://agent.example/v1/reports",
      "https://agent.example/v1/reports",
    ]);
    expect((await enrollmentItem.getValue())?.credential).toBe("tdd_one");
  });

  it("enrols again when the agent no longer knows the credential", async () => {
    await enrollmentItem.setValue({
      agentUrl: "https://agent.example",
      deviceId: "old",
      credential: "tdd_old",
      enrolledAt: 0,
    });
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(json(401, { error: { code: "unauthenticated", message: "unknown", requestId: "r" } }))
      .mockResolvedValueOnce(json(201, { deviceId: "new", credential: "tdd_new" }))
      .mockResolvedValueOnce(json(201, { ticket }));
    vi.stubGlobal("fetch", fetch);
    expect(await deliverReport(sampleReport())).toMatchObject({ kind: "delivered" });
    expect((await enrollmentItem.getValue())?.credential).toBe("tdd_new");
  });

  it("asks for a retry when offline or unconfigured, and gives up only on a 4xx", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    expect(await deliverReport(sampleReport())).toMatchObject({ kind: "retry" });
    vi.stubGlobal(
      "fetch",
      vi
        .fn()
        .mockResolvedValueOnce(json(201, { deviceId: "d1", credential: "tdd_one" }))
        .mockResolvedValueOnce(json(400, { error: { code: "invalid_body", message: "bad", requestId: "r" } })),
    );
    expect(await deliverReport(sampleReport())).toMatchObject({ kind: "rejected" });
    await fakeBrowser.storage.managed.clear();
    expect(await deliverReport(sampleReport())).toMatchObject({
      kind: "retry",
      error: expect.stringContaining("not configured"),
    });
  });
});
