import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorEnvelope } from "../../shared";
import { createTestAgent, type TestAgent } from "../support/agent";
import { addStaff, consoleOrigin, grant, password, signIn } from "../support/staff";

let agent: TestAgent;
let clock: Date;
beforeEach(async () => {
  clock = new Date("2026-11-23T08:00:00Z");
  agent = await createTestAgent(undefined, {}, () => clock);
  await addStaff(agent, "lead@lincoln.example.org", [grant("school_it_lead", "/Schools/Lincoln")]);
});
afterEach(() => agent.close());

const attempt = (email: string, secret: string, origin = consoleOrigin) =>
  agent.app.request("/api/session", {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: JSON.stringify({ email, password: secret }),
  });

describe("/api/session", () => {
  it("signs in with a local account: HttpOnly, SameSite=Lax session cookie; reads who is signed in", async () => {
    const response = await attempt("Lead@Lincoln.example.org", password);
    expect(response.status).toBe(201);
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const session = await signIn(agent, "lead@lincoln.example.org");
    const me = await (await session.request("/api/session")).json();
    expect(me.user.email).toBe("lead@lincoln.example.org");
    expect(me.grants).toEqual([{ role: "school_it_lead", school: "/Schools/Lincoln" }]);
    expect(me.permissions).toContain("device.disable");
    expect(me.permissions).not.toContain("user.manage");
  });

  it("uses a __Host- Secure cookie over HTTPS", async () => {
    const response = await agent.app.request("https://techdesk.example.org/api/session", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://techdesk.example.org" },
      body: JSON.stringify({ email: "lead@lincoln.example.org", password }),
    });
    expect(response.status).toBe(201);
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^__Host-techdesk_session=/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/Path=\//);
  });

  it("over HTTPS reads only the __Host- cookie, never a plain one a sibling subdomain could plant", async () => {
    const url = "https://techdesk.example.org/api/session";
    const response = await agent.app.request(url, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://techdesk.example.org" },
      body: JSON.stringify({ email: "lead@lincoln.example.org", password }),
    });
    const token = /^__Host-techdesk_session=([^;]+)/.exec(response.headers.get("set-cookie") ?? "")?.[1];
    expect(token).toBeTruthy();
    expect((await agent.app.request(url, { headers: { cookie: `__Host-techdesk_session=${token}` } })).status).toBe(
      200,
    );
    expect((await agent.app.request(url, { headers: { cookie: `techdesk_session=${token}` } })).status).toBe(401);
  });

  it("refuses sign-in over plain HTTP away from localhost", async () => {
    const response = await agent.app.request("http://techdesk.example.org/api/session", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://techdesk.example.org" },
      body: JSON.stringify({ email: "lead@lincoln.example.org", password }),
    });
    expect(response.status).toBe(403);
  });

  it("answers the same 401 for an unknown email and a wrong password", async () => {
    const unknown = errorEnvelope.parse(await (await attempt("nobody@example.org", password)).json());
    const wrong = errorEnvelope.parse(await (await attempt("lead@lincoln.example.org", "nope")).json());
    expect(unknown.error.message).toBe(wrong.error.message);
  });

  it("locks the account after repeated failures, with a message that says for how long", async () => {
    for (let i = 0; i < 5; i++) expect((await attempt("lead@lincoln.example.org", "wrong")).status).toBe(401);
    const locked = await attempt("lead@lincoln.example.org", password);
    expect(locked.status).toBe(429);
    expect(errorEnvelope.parse(await locked.json()).error.message).toMatch(/try again in 15 minutes/);
    clock = new Date(clock.getTime() + 16 * 60_000);
    expect((await attempt("lead@lincoln.example.org", password)).status).toBe(201);
  });

  it("keeps the lock when wrong passwords arrive all at once, so the right one is still refused", async () => {
    const wrong = await Promise.allSettled(
      Array.from({ length: 12 }, () => attempt("lead@lincoln.example.org", "wrong")),
    );
    // Each is refused: for the wrong password, or (once the lock is on) for the lock.
    const statuses = wrong.map((r) => (r.status === "fulfilled" ? r.value.status : 0));
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    const locked = await attempt("lead@lincoln.example.org", password);
    expect(locked.status).toBe(429);
    expect(errorEnvelope.parse(await locked.json()).error.message).toMatch(/This account is locked/);
  });

  it("ends a session after the idle timeout and after the absolute timeout", async () => {
    const session = await signIn(agent, "lead@lincoln.example.org");
    clock = new Date(clock.getTime() + 60 * 60_000);
    expect((await session.request("/api/session")).status).toBe(200);
    clock = new Date(clock.getTime() + 121 * 60_000);
    expect((await session.request("/api/session")).status).toBe(401);

    const busy = await signIn(agent, "lead@lincoln.example.org");
    for (let hour = 0; hour < 12; hour++) {
      clock = new Date(clock.getTime() + 60 * 60_000);
      expect((await busy.request("/api/session")).status).toBe(hour < 11 ? 200 : 401);
    }
  });

  it("signs out here, and everywhere", async () => {
    const a = await signIn(agent, "lead@lincoln.example.org");
    const b = await signIn(agent, "lead@lincoln.example.org");
    const c = await signIn(agent, "lead@lincoln.example.org");
    expect((await a.request("/api/session", { method: "DELETE" })).status).toBe(204);
    expect((await a.request("/api/session")).status).toBe(401);
    expect((await b.request("/api/session")).status).toBe(200);
    const everywhere = await b.request("/api/session/sign-out-everywhere", { method: "POST", body: {} });
    expect(await everywhere.json()).toEqual({ ended: 2 });
    expect((await c.request("/api/session")).status).toBe(401);
  });

  it("refuses state-changing calls from another origin or without one, and non-JSON bodies", async () => {
    expect((await attempt("lead@lincoln.example.org", password, "https://evil.example")).status).toBe(403);
    const noOrigin = await agent.app.request("/api/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "lead@lincoln.example.org", password }),
    });
    expect(noOrigin.status).toBe(403);
    const form = await agent.app.request("/api/session", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: consoleOrigin },
      body: `email=lead%40lincoln.example.org&password=${encodeURIComponent(password)}`,
    });
    expect(form.status).toBe(415);
  });
});

describe("sign-in throttling per address", () => {
  it("slows down many failed sign-ins across accounts from one place, then lets it try again", async () => {
    for (let i = 0; i < 20; i++) expect((await attempt(`nobody${i}@example.org`, "guess")).status).toBe(401);
    const blocked = await attempt("lead@lincoln.example.org", password);
    expect(blocked.status).toBe(429);
    expect(errorEnvelope.parse(await blocked.json()).error.message).toMatch(
      /from this network. Try again in 10 minutes/,
    );
    clock = new Date(clock.getTime() + 11 * 60_000);
    expect((await attempt("lead@lincoln.example.org", password)).status).toBe(201);
  });

  it("counts a burst of parallel attempts before any is checked, so the excess is refused", async () => {
    const burst = await Promise.allSettled(
      Array.from({ length: 26 }, (_, i) => attempt(`nobody${i}@example.org`, "guess")),
    );
    const statuses = burst.map((r) => (r.status === "fulfilled" ? r.value.status : 0));
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
  });

  it("does not count successful sign-ins against the address", async () => {
    for (let i = 0; i < 19; i++) expect((await attempt(`nobody${i}@example.org`, "guess")).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await attempt("lead@lincoln.example.org", password)).status).toBe(201);
    expect((await attempt("nobody@example.org", "guess")).status).toBe(401);
    expect((await attempt("lead@lincoln.example.org", password)).status).toBe(429);
  });
});
