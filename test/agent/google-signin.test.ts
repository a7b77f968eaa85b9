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

beforeEach(async () => {
  store = await openStore({ sqliteFile: ":memory:" });
  const config = loadConfig({
    ENROLLMENT_TOKENS: "enrollment-token-000001",
    STAFF_API_TOKEN: "x".repeat(24),
    LOG_LEVEL: "silent",
    PUBLIC_URL: publicUrl,
    GOOGLE_OIDC_CLIENT_ID: clientId,
    GOOGLE_OIDC_CLIENT_SECRET: "test-client-secret",
    GOOGLE_SIGNIN_DOMAINS: "district.example",
  });
  const googleSignIn = createGoogleSignIn(
    config.googleSignIn as NonNullable<typeof config.googleSignIn>,
    google.endpoints,
  );
  app = createApp({ db: store.db, config, log: createLogger("silent"), now: () => new Date(), googleSignIn });
  await createStaffUser(store.db, {
    email: "lead@district.example",
    displayName: "Lead",
    grants: [{ role: "school_it_lead", school: "/Schools/Lincoln High" }],
  });
  return () => store.close();
});

/** The browser's round trip: our start URL → Google → our callback, carrying the flow cookie. */
async function roundTrip(): Promise<Response> {
  const start = await app.request(`${publicUrl}/api/auth/google`);
  expect(start.status).toBe(302);
  const flowCookie = (start.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  expect(start.headers.get("set-cookie")).toMatch(/HttpOnly/);
  const atGoogle = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const callback = atGoogle.headers.get("location") ?? "";
  expect(callback.startsWith(`${publicUrl}/api/auth/google/callback?`)).toBe(true);
  return app.request(callback, { headers: { cookie: flowCookie } });
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
