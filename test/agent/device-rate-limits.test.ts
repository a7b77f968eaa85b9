/**
 * Flood protection on the device endpoints: each enrollment has its own buckets, so one device over
 * its limit never holds back the others behind the same school NAT, a full offline outbox delivered
 * at once passes, and a whole school enrolling on a Monday morning from one address passes.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addressKey, DeviceThrottle, deviceLimits } from "../../agent/auth/device-throttle";
import { loadConfig, techdeskExtensionId } from "../../agent/config";
import { refusedEnrollmentsPerAddress } from "../../agent/routes/enroll";
import { Outbox } from "../../extension/outbox/outbox";
import { errorEnvelope } from "../../shared";
import {
  bearer,
  createTestAgent,
  enrollmentToken,
  lincolnToken,
  sampleReport,
  type TestAgent,
  washingtonToken,
} from "../support/agent";

const validEnv = { ENROLLMENT_TOKENS: "a-token-of-sixteen-chars", STAFF_API_TOKEN: "x".repeat(24) };

/** These send hundreds or thousands of requests: slow on a busy machine. */
const heavy = 30_000;

let agent: TestAgent;
let clock: number;
beforeEach(async () => {
  clock = Date.parse("2026-03-02T07:45:00.000Z");
  agent = await createTestAgent(undefined, {}, () => new Date(clock));
});
afterEach(() => agent.close());

/** The most reports the extension keeps while offline, from the outbox itself. */
const outboxMaximum = new Outbox({
  storage: { getValue: async () => ({ entries: [], droppedCount: 0, delivered: [] }), setValue: async () => {} },
  send: async () => ({ kind: "retry", error: "unused" }),
}).maxEntries;

const report = (credential: string, headers: Record<string, string> = {}) =>
  agent.post("/v1/reports", sampleReport(), { ...bearer(credential), ...headers });

async function fileMany(credential: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await report(credential)).status);
  return statuses;
}

async function ticketCount(): Promise<number> {
  const row = await agent.store.db
    .selectFrom("tickets")
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Expects a 429 in the error envelope, and answers its Retry-After in seconds. */
async function expectRateLimited(response: Response): Promise<number> {
  expect(response.status).toBe(429);
  const body = errorEnvelope.parse(await response.json());
  expect(body.error.code).toBe("rate_limited");
  expect(body.error.requestId).toMatch(/\S+/);
  const retryAfter = response.headers.get("retry-after");
  expect(retryAfter).toMatch(/^[1-9]\d*$/);
  return Number(retryAfter);
}

const enroll = (address: string, token = enrollmentToken) =>
  agent.app.request(
    "/v1/enroll",
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ enrollmentToken: token, device: {}, extensionVersion: "0.1.0" }),
    },
    { incoming: { socket: { remoteAddress: address } } },
  );

describe("reports", { timeout: heavy }, () => {
  it("let a full offline outbox through at once", async () => {
    expect(deviceLimits.reports.burst).toBeGreaterThanOrEqual(outboxMaximum);
    const device = await agent.enroll();
    const statuses = await fileMany(device, outboxMaximum);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    expect(await ticketCount()).toBe(outboxMaximum);
  });

  it("answer 429 with Retry-After to a device over its limit, and not to another device on the same network", async () => {
    const flooding = await agent.enroll();
    const other = await agent.enroll();
    expect(new Set(await fileMany(flooding, deviceLimits.reports.burst))).toEqual(new Set([201]));
    const filed = await ticketCount();

    const refused = await report(flooding);
    const wait = await expectRateLimited(refused);
    expect(wait).toBe(Math.ceil(3600 / deviceLimits.reports.perHour));
    expect(await ticketCount()).toBe(filed);

    // Same address (app.request has none), its own bucket.
    expect((await report(other)).status).toBe(201);

    // Just short of the wait it is still refused; once waited out, one more goes, and then not the next.
    clock += (wait - 1) * 1000;
    await expectRateLimited(await report(flooding));
    clock += 1000;
    expect((await report(flooding)).status).toBe(201);
    await expectRateLimited(await report(flooding));
  });

  it("let the extension read Retry-After across origins", async () => {
    const device = await agent.enroll();
    await fileMany(device, deviceLimits.reports.burst);
    const refused = await report(device, { origin: `chrome-extension://${techdeskExtensionId}` });
    await expectRateLimited(refused);
    expect(refused.headers.get("access-control-expose-headers")?.toLowerCase().split(/,\s*/)).toContain("retry-after");
  });
});

describe("compliance reports and ticket reads", () => {
  it("have buckets of their own", async () => {
    const device = await agent.enroll();
    const compliance = () =>
      agent.post(
        "/v1/compliance",
        { collectedAt: new Date(clock).toISOString(), managementGranted: false, extensions: [], warnings: [] },
        bearer(device),
      );
    for (let i = 0; i < deviceLimits.compliance.burst; i++) expect((await compliance()).status).toBe(200);
    expect(await expectRateLimited(await compliance())).toBe(Math.ceil(3600 / deviceLimits.compliance.perHour));

    for (let i = 0; i < deviceLimits.ticketReads.burst; i++)
      expect((await agent.get("/v1/device/tickets", bearer(device))).status).toBe(200);
    await expectRateLimited(await agent.get("/v1/device/tickets", bearer(device)));

    // Reports are still open to it.
    expect((await report(device)).status).toBe(201);
  });

  it("still answer 401 to an unknown credential, before any limit", async () => {
    const response = await agent.get("/v1/device/tickets", bearer("tdd_unknown"));
    expect(response.status).toBe(401);
  });
});

describe("enrollment", { timeout: heavy }, () => {
  it("lets a whole school of 800 Chromebooks behind one address enrol within minutes", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 800; i++) {
      statuses.push((await enroll("203.0.113.7")).status);
      clock += 150; // two minutes for the lot
    }
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
  });

  it("slows a flood from one address, and only that address", async () => {
    const perHour = agent.config.enrollmentsPerAddressHour;
    expect(perHour).toBe(2000);
    for (let i = 0; i < perHour; i++) {
      const response = await enroll("203.0.113.7");
      if (response.status !== 201) throw new Error(`enrollment ${i} answered ${response.status}`);
    }
    const refused = await enroll("203.0.113.7");
    const wait = await expectRateLimited(refused);
    expect(wait).toBe(Math.ceil(3600 / perHour));
    expect((await enroll("198.51.100.20")).status).toBe(201);
    clock += wait * 1000;
    expect((await enroll("203.0.113.7")).status).toBe(201);
  });

  it("takes its limit from ENROLLMENTS_PER_ADDRESS_HOUR", async () => {
    await agent.close();
    agent = await createTestAgent(undefined, { ENROLLMENTS_PER_ADDRESS_HOUR: "3" }, () => new Date(clock));
    for (let i = 0; i < 3; i++) expect((await enroll("203.0.113.7")).status).toBe(201);
    expect(await expectRateLimited(await enroll("203.0.113.7"))).toBe(1200);
    expect(() => loadConfig({ ...validEnv, ENROLLMENTS_PER_ADDRESS_HOUR: "0" })).toThrow(
      /ENROLLMENTS_PER_ADDRESS_HOUR/,
    );
  });
});

describe("enrollment floods", () => {
  beforeEach(async () => {
    await agent.close();
    agent = await createTestAgent(undefined, { ENROLLMENTS_PER_ADDRESS_HOUR: "3" }, () => new Date(clock));
  });

  it("never let junk with a wrong token use up the enrolling of devices with a real one", async () => {
    for (let i = 0; i < 10; i++) expect((await enroll("203.0.113.7", "not-a-real-token-at-all")).status).toBe(401);
    expect((await enroll("203.0.113.7")).status).toBe(201);
  });

  it("slow wrong tokens from one address in a bucket of their own", async () => {
    for (let i = 0; i < refusedEnrollmentsPerAddress.burst; i++)
      expect((await enroll("203.0.113.7", "not-a-real-token-at-all")).status).toBe(401);
    await expectRateLimited(await enroll("203.0.113.7", "not-a-real-token-at-all"));
    expect((await enroll("203.0.113.7")).status).toBe(201);
  });

  it("slow a flood with one school's token without holding back another school behind the same address", async () => {
    for (let i = 0; i < 3; i++) expect((await enroll("203.0.113.7", lincolnToken)).status).toBe(201);
    await expectRateLimited(await enroll("203.0.113.7", lincolnToken));
    expect((await enroll("203.0.113.7", washingtonToken)).status).toBe(201);
  });
});

describe("DeviceThrottle", () => {
  it("keeps at most its number of buckets, dropping the least recently used", () => {
    const throttle = new DeviceThrottle({ burst: 1, perHour: 1 }, "Too many", 2);
    expect(throttle.take("a", 0)).toBe(0);
    expect(throttle.take("a", 0)).toBe(3600);
    expect(throttle.take("b", 0)).toBe(0);
    expect(throttle.take("a", 0)).toBe(3600); // a is refused, and not moved up
    expect(throttle.take("c", 0)).toBe(0); // a, the least recently used, goes
    expect(throttle.take("a", 0)).toBe(0);
    expect(throttle.take("b", 0)).toBe(0); // and then c
    expect(throttle.take("a", 0)).toBe(3600); // a stayed, its bucket spent
  });

  it("counts an IPv6 client by its /64 and an IPv4-mapped one as IPv4", () => {
    expect(addressKey("2001:db8:12:34:aaaa::1")).toBe("2001:db8:12:34::/64");
    expect(addressKey("2001:0db8:0012:0034:bbbb:cccc:dddd:eeee")).toBe("2001:db8:12:34::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
  });
});
