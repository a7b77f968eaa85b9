/**
 * Behind a reverse proxy named in TRUSTED_PROXIES, the per-address limits count each client it
 * forwards for: two Chromebooks (or two staff members) behind one proxy get buckets of their own,
 * while a peer that is not a trusted proxy is counted by its own address, whatever it writes in
 * X-Forwarded-For.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createTestAgent, enrollmentToken, type TestAgent } from "../support/agent";
import { consoleOrigin } from "../support/staff";

const proxy = "10.0.0.5";
const outsider = "192.0.2.50";

let agent: TestAgent;
afterEach(() => agent.close());

const start = async (overrides: Record<string, string>) => {
  const clock = new Date("2026-03-02T07:45:00.000Z");
  agent = await createTestAgent(undefined, { ENROLLMENTS_PER_ADDRESS_HOUR: "3", ...overrides }, () => clock);
};

/** A request as it reaches the agent from the socket peer `peer`, with `forwardedFor` if given. */
function request(path: string, body: unknown, peer: string, forwardedFor?: string) {
  return agent.app.request(
    path,
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        origin: consoleOrigin,
        ...(forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor }),
      },
      body: JSON.stringify(body),
    },
    { incoming: { socket: { remoteAddress: peer } } },
  );
}

const enroll = (peer: string, forwardedFor?: string) =>
  request("/v1/enroll", { enrollmentToken, device: {}, extensionVersion: "0.1.0" }, peer, forwardedFor);

/** Enrols until refused; answers how many went through (stopping at `most`). */
async function enrolments(peer: string, forwardedFor: string | (() => string), most = 10): Promise<number> {
  for (let i = 0; i < most; i++) {
    const response = await enroll(peer, typeof forwardedFor === "string" ? forwardedFor : forwardedFor());
    if (response.status === 429) return i;
    expect(response.status).toBe(201);
  }
  return most;
}

describe("enrolling behind a trusted proxy", () => {
  it("gives each forwarded client a bucket of its own", async () => {
    await start({ TRUSTED_PROXIES: "10.0.0.0/8" });
    expect(await enrolments(proxy, "203.0.113.7")).toBe(3);
    expect(await enrolments(proxy, "198.51.100.20")).toBe(3);
    // Through a second proxy in the trusted block, the same client is still the same client.
    expect(await enrolments("10.9.9.9", "203.0.113.7, 10.0.0.5")).toBe(0);
  });

  it("counts an IPv6 client by its /64, as without a proxy", async () => {
    await start({ TRUSTED_PROXIES: "10.0.0.0/8" });
    let host = 0;
    expect(await enrolments(proxy, () => `2001:db8:12:34::${(++host).toString(16)}`)).toBe(3);
    expect(await enrolments(proxy, "2001:db8:12:35::1")).toBe(3);
  });

  it("does not let a client step around its bucket by writing addresses before the proxy's entry", async () => {
    await start({ TRUSTED_PROXIES: "10.0.0.0/8" });
    let forged = 0;
    expect(await enrolments(proxy, () => `198.51.100.${++forged}, 203.0.113.7`)).toBe(3);
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    await start({ TRUSTED_PROXIES: "10.0.0.0/8" });
    let forged = 0;
    expect(await enrolments(outsider, () => `203.0.113.${++forged}`)).toBe(3);
    // The outsider's bucket is spent; a client behind the trusted proxy still has its own.
    expect(await enrolments(proxy, "203.0.113.1")).toBe(3);
  });

  it("believes nobody's X-Forwarded-For without TRUSTED_PROXIES: everyone behind the proxy shares its bucket", async () => {
    await start({});
    expect(await enrolments(proxy, "203.0.113.7")).toBe(3);
    expect(await enrolments(proxy, "198.51.100.20")).toBe(0);
  });
});

describe("signing in behind a trusted proxy", { timeout: 30_000 }, () => {
  const attempt = (peer: string, forwardedFor: string, email = "nobody@example.org") =>
    request("/api/session", { email, password: "wrong guess" }, peer, forwardedFor);

  /** The default sign-in throttle: 20 failures per address in ten minutes. */
  async function failUntilThrottled(peer: string, forwardedFor: string | (() => string)): Promise<number> {
    for (let i = 0; i < 30; i++) {
      const response = await attempt(peer, typeof forwardedFor === "string" ? forwardedFor : forwardedFor());
      if (response.status === 429) return i;
      expect(response.status).toBe(401);
    }
    return 30;
  }

  it("throttles one person's wrong passwords without throttling another's behind the same proxy", async () => {
    await start({ TRUSTED_PROXIES: "10.0.0.0/8,::1" });
    expect(await failUntilThrottled(proxy, "203.0.113.7")).toBe(20);
    expect((await attempt(proxy, "198.51.100.20")).status).toBe(401);
    expect((await attempt("::1", "198.51.100.20")).status).toBe(401);
    expect((await attempt("::ffff:10.0.0.5", "203.0.113.7")).status).toBe(429);
  });

  it("counts an IPv6 client's wrong passwords by its /64, so changing the low bits does not step around it", async () => {
    await start({ TRUSTED_PROXIES: "10.0.0.0/8" });
    let host = 0;
    expect(await failUntilThrottled(proxy, () => `2001:db8:5:7::${(++host).toString(16)}`)).toBe(20);
    expect((await attempt(proxy, "2001:db8:5:8::1")).status).toBe(401);
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    await start({ TRUSTED_PROXIES: "10.0.0.0/8" });
    let forged = 0;
    expect(await failUntilThrottled(outsider, () => `203.0.113.${++forged}`)).toBe(20);
    expect((await attempt(proxy, "203.0.113.1")).status).toBe(401);
  });

  it("believes nobody's X-Forwarded-For without TRUSTED_PROXIES", async () => {
    await start({});
    expect(await failUntilThrottled(proxy, "203.0.113.7")).toBe(20);
    expect((await attempt(proxy, "198.51.100.20")).status).toBe(429);
  });
});
