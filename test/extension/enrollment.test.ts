/**
 * The device's enrollment: one at a time within the worker (delivery, the compliance report and
 * "my tickets" all need it at start-up), and made again when the district's enrollment token, which
 * decides the school, changes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { reportCompliance } from "../../extension/compliance";
import { deliverReport, fetchMyTickets } from "../../extension/delivery";
import { enrollmentItem } from "../../extension/enrollment";
import { sampleReport } from "../support/agent";
import { restoreChrome, stubChrome } from "./chrome-stubs";

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
const unauthenticated = () =>
  json(401, { error: { code: "unauthenticated", message: "Unknown credential.", requestId: "r" } });

/**
 * An agent on fetch: each enrollment answers a new credential, after a pause (a real round trip);
 * `hold` lets a test decide when an answer for a given path and credential arrives.
 */
function fakeAgent(hold: (path: string, credential: string | undefined) => Promise<Response | undefined> | undefined) {
  const enrollTokens: string[] = [];
  const used: string[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const path = new URL(url).pathname;
    const credential = (init.headers as Record<string, string>).authorization?.replace("Bearer ", "");
    if (path === "/v1/enroll") {
      enrollTokens.push(JSON.parse(String(init.body)).enrollmentToken);
      const n = enrollTokens.length;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return json(201, { deviceId: `d${n}`, credential: `tdd_${n}` });
    }
    if (credential) used.push(credential);
    const held = await hold(path, credential);
    if (held) return held;
    if (path === "/v1/reports") return json(201, { ticket });
    if (path === "/v1/compliance") return json(200, { recorded: true });
    return json(200, { tickets: [ticket] });
  });
  vi.stubGlobal("fetch", fetch);
  return { enrollTokens, used };
}

beforeEach(async () => {
  vi.spyOn(fakeBrowser.runtime, "getManifest").mockReturnValue({
    manifest_version: 3,
    name: "TechDesk",
    version: "0.1.0",
  });
  vi.stubGlobal("chrome", fakeBrowser);
  stubChrome(
    "permissions.contains",
    vi.fn(async () => false),
  );
  stubChrome("proxy.settings", {
    get: vi.fn((_: unknown, callback: (d: unknown) => void) => callback({ value: { mode: "direct" } })),
  });
  await fakeBrowser.storage.managed.set({ agentUrl: "https://agent.example", enrollmentToken: "district-token" });
});
afterEach(() => {
  restoreChrome();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("enrollment within one worker", () => {
  it("enrols once when delivery, the compliance report and my tickets start together", async () => {
    const agent = fakeAgent(() => undefined);
    const [delivered, compliance, mine] = await Promise.all([
      deliverReport(sampleReport()),
      reportCompliance({ force: true }),
      fetchMyTickets(),
    ]);
    expect(delivered).toMatchObject({ kind: "delivered" });
    expect(compliance).toBe("sent");
    expect(mine.tickets).toHaveLength(1);
    expect(agent.enrollTokens).toEqual(["district-token"]);
    expect(new Set(agent.used)).toEqual(new Set(["tdd_1"]));
    expect((await enrollmentItem.getValue())?.credential).toBe("tdd_1");
  });

  it("does not throw away a fresh credential when a late 401 answers for the one it replaced", async () => {
    await enrollmentItem.setValue({
      agentUrl: "https://agent.example",
      deviceId: "old",
      credential: "tdd_old",
      enrolledAt: 0,
    });
    let release: () => void = () => {};
    const reportWentThrough = new Promise<void>((resolve) => {
      release = resolve;
    });
    const agent = fakeAgent(async (path, credential) => {
      if (credential !== "tdd_old") {
        if (path === "/v1/reports") release();
        return undefined;
      }
      // The compliance report's 401 for the old credential arrives after the report enrolled again.
      if (path === "/v1/compliance") await reportWentThrough;
      return unauthenticated();
    });
    const [delivered, compliance] = await Promise.all([
      deliverReport(sampleReport()),
      reportCompliance({ force: true }),
    ]);
    expect(delivered).toMatchObject({ kind: "delivered" });
    expect(compliance).toBe("sent");
    expect(agent.enrollTokens).toHaveLength(1);
    expect((await enrollmentItem.getValue())?.credential).toBe("tdd_1");
  });
});

describe("enrollment and the district's token", () => {
  it("enrols again when the managed enrollment token changes (the Chromebook moved school)", async () => {
    const agent = fakeAgent(() => undefined);
    expect(await deliverReport(sampleReport())).toMatchObject({ kind: "delivered" });
    expect(await deliverReport(sampleReport())).toMatchObject({ kind: "delivered" });
    await fakeBrowser.storage.managed.set({ enrollmentToken: "other-school-token" });
    expect(await deliverReport(sampleReport())).toMatchObject({ kind: "delivered" });
    expect(agent.enrollTokens).toEqual(["district-token", "other-school-token"]);
    expect(agent.used).toEqual(["tdd_1", "tdd_1", "tdd_2"]);
    const stored = await enrollmentItem.getValue();
    expect(stored?.credential).toBe("tdd_2");
    // Only a digest of the token is kept beside the credential, never the token itself.
    expect(JSON.stringify(stored)).not.toContain("other-school-token");
  });

  it("keeps an enrollment saved before tokens were remembered, and remembers the token from then on", async () => {
    await enrollmentItem.setValue({
      agentUrl: "https://agent.example",
      deviceId: "old",
      credential: "tdd_old",
      enrolledAt: 0,
    });
    const agent = fakeAgent(() => undefined);
    expect(await deliverReport(sampleReport())).toMatchObject({ kind: "delivered" });
    await fakeBrowser.storage.managed.set({ enrollmentToken: "other-school-token" });
    expect(await deliverReport(sampleReport())).toMatchObject({ kind: "delivered" });
    expect(agent.used).toEqual(["tdd_old", "tdd_1"]);
    expect(agent.enrollTokens).toEqual(["other-school-token"]);
  });
});
