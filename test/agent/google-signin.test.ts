import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../agent/app";
import { createGoogleSignIn } from "../../agent/auth/google-signin";
import { loadConfig } from "../../agent/config";
import { createLogger } from "../../agent/log";
import { createStaffUser } from "../../agent/services/staff-accounts";
import { openStore, type Store } from "../../agent/store/db";
import { startFakeGoogle } from "../support/fake-google";

const clientId = "test-client-id.apps.googleusercontent.com";
const publicUrl = "https://techdesk.district.example";
let google: Awaited<ReturnType<typeof startFakeGoogle>>;
let store: Store;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  google = await startFakeGoogle(clientId);
});
afterAll(() => google.close());

/** An agent with Google sign-in against the fake Google, answering at `url`. */
function googleApp(url: string) {
  const config = loadConfig({
    ENROLLMENT_TOKENS: "enrollment-token-000001",
    STAFF_API_TOKEN: "x".repeat(24),
    LOG_LEVEL: "silent",
    PUBLIC_URL: url,
    GOOGLE_OIDC_CLIENT_ID: clientId,
    GOOGLE_OIDC_CLIENT_SECRET: "test-client-secret",
    GOOGLE_SIGNIN_DOMAINS: "district.example",
  });
  const googleSignIn = createGoogleSignIn(
    config.googleSignIn as NonNullable<typeof config.googleSignIn>,
    google.endpoints,
  );
  return createApp({ db: store.db, config, log: createLogger("silent"), now: () => new Date(), googleSignIn });
}

beforeEach(async () => {
  store = await openStore({ sqliteFile: ":memory:" });
  app = googleApp(publicUrl);
  await createStaffUser(store.db, {
    email: "lead@district.example",
    displayName: "Lead",
    grants: [{ role: "school_it_lead", school: "/Schools/Lincoln High" }],
  });
  return () => store.close();
});

/**
 * The browser's round trip: our start URL (with the console page to come back to) → Google → our
 * callback, carrying the flow cookie.
 */
async function roundTrip(route?: string, on = { app, url: publicUrl }): Promise<Response> {
  const query = route === undefined ? "" : `?route=${encodeURIComponent(route)}`;
  const start = await on.app.request(`${on.url}/api/auth/google${query}`);
  expect(start.status).toBe(302);
  const flowCookie = (start.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  expect(start.headers.get("set-cookie")).toMatch(/HttpOnly/);
  const atGoogle = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const callback = atGoogle.headers.get("location") ?? "";
  expect(callback.startsWith(`${on.url}/api/auth/google/callback?`)).toBe(true);
  return on.app.request(callback, { headers: { cookie: flowCookie } });
}

describe("Google sign-in", () => {
  it("says it is on", async () => {
    expect(await (await app.request(`${publicUrl}/api/auth/methods`)).json()).toEqual({ password: true, google: true });
  });

  it("signs in a district account that TechDesk knows, with a __Host- session cookie", async () => {
    google.signInAs({ email: "Lead@district.example", hd: "district.example" });
    const done = await roundTrip();
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe("/");
    const session =
      (done.headers.getSetCookie().find((c) => c.startsWith("__Host-techdesk_session=")) ?? "").split(";")[0] ?? "";
    expect(session).not.toBe("");
    const me = await app.request(`${publicUrl}/api/session`, { headers: { cookie: session } });
    expect((await me.json()).user.email).toBe("lead@district.example");
  });

  it.each([
    ["a consumer account (no hd)", { email: "kid@gmail.com" }, "not_in_domain"],
    ["another district", { email: "lead@other.example", hd: "other.example" }, "not_in_domain"],
    [
      "an unverified email",
      { email: "lead@district.example", hd: "district.example", email_verified: false },
      "unverified_email",
    ],
    [
      "a district account TechDesk does not know",
      { email: "stranger@district.example", hd: "district.example" },
      "no_account",
    ],
  ])("refuses %s", async (_, identity, reason) => {
    google.signInAs(identity);
    const done = await roundTrip();
    expect(done.headers.get("location")).toBe(`/?signin_error=${reason}`);
    expect(done.headers.getSetCookie().some((c) => c.includes("techdesk_session=") && !c.includes("Max-Age=0"))).toBe(
      false,
    );
  });

  it("refuses a callback without the flow cookie or with another state (CSRF on the way back)", async () => {
    google.signInAs({ email: "lead@district.example", hd: "district.example" });
    const start = await app.request(`${publicUrl}/api/auth/google`);
    const atGoogle = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const callback = atGoogle.headers.get("location") ?? "";
    expect((await app.request(callback)).headers.get("location")).toBe("/?signin_error=expired");
    const other = (await app.request(`${publicUrl}/api/auth/google`)).headers.get("set-cookie")?.split(";")[0] ?? "";
    expect((await app.request(callback, { headers: { cookie: other } })).headers.get("location")).toBe(
      "/?signin_error=expired",
    );
  });

  it("keeps the flow cookie to this host over HTTPS: __Host- prefixed, Path=/ and Secure", async () => {
    const start = await app.request(`${publicUrl}/api/auth/google`);
    const flow = start.headers.get("set-cookie") ?? "";
    expect(flow).toMatch(/^__Host-techdesk_google_signin=[\w-]+;/);
    expect(flow).toMatch(/; Path=\/(;|$)/);
    expect(flow).toMatch(/; Secure/);
    expect(flow).toMatch(/; SameSite=Lax/);
    expect(flow).not.toMatch(/Domain=/i);

    google.signInAs({ email: "lead@district.example", hd: "district.example" });
    const atGoogle = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const done = await app.request(atGoogle.headers.get("location") ?? "", {
      headers: { cookie: flow.split(";")[0] ?? "" },
    });
    expect(done.headers.get("location")).toBe("/");
    const cleared = done.headers.getSetCookie().find((c) => c.includes("techdesk_google_signin=")) ?? "";
    expect(cleared).toMatch(/^__Host-techdesk_google_signin=;.*Max-Age=0/);
  });

  it("ignores a flow cookie without the __Host- prefix over HTTPS (one a sibling subdomain could plant)", async () => {
    google.signInAs({ email: "lead@district.example", hd: "district.example" });
    const start = await app.request(`${publicUrl}/api/auth/google`);
    const value = (start.headers.get("set-cookie") ?? "").split(";")[0]?.split("=")[1] ?? "";
    expect(value).not.toBe("");
    const atGoogle = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    const done = await app.request(atGoogle.headers.get("location") ?? "", {
      headers: { cookie: `techdesk_google_signin=${value}` },
    });
    expect(done.headers.get("location")).toBe("/?signin_error=expired");
    expect(done.headers.getSetCookie().some((c) => c.includes("techdesk_session=") && !c.includes("Max-Age=0"))).toBe(
      false,
    );
  });

  it("keeps a plain flow cookie over HTTP on localhost, where the prefix cannot be used", async () => {
    const url = "http://localhost:8080";
    const local = googleApp(url);
    const start = await local.request(`${url}/api/auth/google`);
    expect(start.headers.get("set-cookie")).toMatch(/^techdesk_google_signin=[\w-]+;/);
    expect(start.headers.get("set-cookie")).not.toMatch(/Secure/);
    google.signInAs({ email: "lead@district.example", hd: "district.example" });
    const done = await roundTrip("#/tickets/7", { app: local, url });
    expect(done.headers.get("location")).toBe("/#/tickets/7");
  });

  it("comes back to the console page the person started from", async () => {
    google.signInAs({ email: "lead@district.example", hd: "district.example" });
    expect((await roundTrip("#/tickets/123")).headers.get("location")).toBe("/#/tickets/123");
    const device = `#/devices/${encodeURIComponent("a1b2/c3 d4")}?ticket=5`;
    expect((await roundTrip(device)).headers.get("location")).toBe(`/${device}`);
    // Refused, it still comes back there: the sign-in page shows why, then goes on to the ticket.
    google.signInAs({ email: "stranger@district.example", hd: "district.example" });
    expect((await roundTrip("#/tickets/123")).headers.get("location")).toBe("/?signin_error=no_account#/tickets/123");
  });

  it.each([
    ["another site", "https://evil.example/#/tickets/1"],
    ["a protocol-relative address", "//evil.example"],
    ["a backslash path", "/\\evil.example"],
    ["a path on this site", "/api/session"],
    ["a script", "javascript:alert(1)"],
    ["a hash that is not a route", "#tickets"],
    ["a route with a backslash", "#/\\evil.example"],
    ["a route with a space", "#/tickets/1 2"],
    ["a route with a line break", "#/tickets/1\r\nSet-Cookie: x=y"],
    ["a route with a second hash", "#/tickets/1#x"],
    ["a route that is too long", `#/${"a".repeat(300)}`],
  ])("comes back to the console's home page, never elsewhere, given %s", async (_, route) => {
    google.signInAs({ email: "lead@district.example", hd: "district.example" });
    expect((await roundTrip(route)).headers.get("location")).toBe("/");
  });

  it("is off unless configured, and its configuration must be whole", () => {
    const base = { ENROLLMENT_TOKENS: "enrollment-token-000001", STAFF_API_TOKEN: "x".repeat(24) };
    expect(loadConfig(base).googleSignIn).toBeUndefined();
    expect(() => loadConfig({ ...base, GOOGLE_OIDC_CLIENT_ID: clientId })).toThrow(/GOOGLE_OIDC_CLIENT_SECRET/);
    expect(() =>
      loadConfig({ ...base, GOOGLE_OIDC_CLIENT_ID: clientId, GOOGLE_OIDC_CLIENT_SECRET: "secret-secret" }),
    ).toThrow(/GOOGLE_SIGNIN_DOMAINS/);
    expect(() =>
      loadConfig({
        ...base,
        GOOGLE_OIDC_CLIENT_ID: clientId,
        GOOGLE_OIDC_CLIENT_SECRET: "secret-secret",
        GOOGLE_SIGNIN_DOMAINS: "district.example",
      }),
    ).toThrow(/PUBLIC_URL/);
  });
});
