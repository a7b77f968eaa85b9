import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { JWT } from "google-auth-library";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../agent/config";
import { describeMode, googleAuthClient, googleAuthMode, googleScopes } from "../../agent/google/auth";
import { CircuitOpenError } from "../../agent/google/circuit-breaker";
import { GoogleCallError } from "../../agent/google/client";
import { connectGoogle, explainGoogleError } from "../../agent/google/connect";
import { createLogger } from "../../agent/log";

const dir = mkdtempSync(path.join(tmpdir(), "techdesk-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const keyFile = path.join(dir, "key.json");
writeFileSync(
  keyFile,
  JSON.stringify({
    type: "service_account",
    client_email: "techdesk@district-project.iam.gserviceaccount.com",
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
  }),
);
const notAKey = path.join(dir, "oauth-client.json");
writeFileSync(notAKey, JSON.stringify({ web: { client_id: "x" } }));

describe("Google auth modes", () => {
  it("uses the sandbox when nothing is configured", () => {
    expect(googleAuthMode({})).toEqual({ kind: "sandbox" });
    expect(describeMode({ kind: "sandbox" })).toMatch(/sandbox/);
  });

  it("acts as an admin through domain-wide delegation with a key and a subject", async () => {
    const mode = googleAuthMode({ GOOGLE_CREDENTIALS: keyFile, GOOGLE_ADMIN_SUBJECT: "it-admin@district.example" });
    expect(mode).toMatchObject({
      kind: "delegated",
      subject: "it-admin@district.example",
      clientEmail: "techdesk@district-project.iam.gserviceaccount.com",
    });
    const client = (await googleAuthClient(mode)) as JWT;
    expect(client).toBeInstanceOf(JWT);
    expect(client.subject).toBe("it-admin@district.example");
    expect(client.scopes).toEqual(googleScopes);
  });

  it("uses a service account that holds an admin role itself when there is no subject", async () => {
    const mode = googleAuthMode({ GOOGLE_CREDENTIALS: keyFile });
    expect(mode.kind).toBe("service-account");
    expect(((await googleAuthClient(mode)) as JWT).subject).toBeUndefined();
    expect(googleAuthMode({ GOOGLE_AUTH: "adc" })).toEqual({ kind: "adc" });
  });

  it.each([
    [{ GOOGLE_CREDENTIALS: path.join(dir, "missing.json") }, /does not exist/],
    [{ GOOGLE_CREDENTIALS: notAKey }, /not a service account key/],
    [{ GOOGLE_AUTH: "delegated", GOOGLE_CREDENTIALS: keyFile }, /GOOGLE_ADMIN_SUBJECT/],
    [
      { GOOGLE_AUTH: "delegated", GOOGLE_CREDENTIALS: keyFile, GOOGLE_ADMIN_SUBJECT: "not-an-email" },
      /GOOGLE_ADMIN_SUBJECT/,
    ],
    [{ GOOGLE_AUTH: "service-account" }, /GOOGLE_CREDENTIALS/],
    [{ GOOGLE_AUTH: "magic" }, /must be sandbox, delegated, service-account or adc/],
    [{ GOOGLE_AUTH: "sandbox", GOOGLE_CREDENTIALS: keyFile }, /choose a mode/],
  ])("says in words what is wrong with %o", (env, message) => {
    expect(() => googleAuthMode(env)).toThrow(message);
  });

  it("explains Google's refusals by their reason, so the admin is sent to the right fix", () => {
    const refused = (status: number, reason: string) =>
      new GoogleCallError("directory", "orgunits.list", { status, reason, message: "refused", network: false }, 1);
    expect(explainGoogleError(refused(403, "forbidden"))).toMatch(/lacks an admin role/);
    expect(explainGoogleError(refused(403, "userRateLimitExceeded"))).toMatch(/throttling TechDesk's calls/);
    expect(explainGoogleError(refused(403, "accessNotConfigured"))).toMatch(/not enabled in the Google Cloud project/);
    expect(explainGoogleError(new CircuitOpenError("directory", Date.now()))).toMatch(/failing for a while/);
    expect(explainGoogleError(new Error("invalid_grant: account not found"))).toMatch(/machine's clock/);
    expect(explainGoogleError(refused(404, "notFound"))).toMatch(/could not be reached or refused/);
  });

  it("checks the connection quickly when Google cannot be reached: three tries, not the sync's patient retries", async () => {
    const config = loadConfig({ ENROLLMENT_TOKENS: "a-token-of-sixteen-chars", STAFF_API_TOKEN: "x".repeat(24) });
    const google = await connectGoogle(config, createLogger("silent"), {
      retry: { maxTries: 10, baseMs: 1, capMs: 1, jitterMs: 0 },
    });
    await google.sandbox?.close(); // nothing listens any more: every call fails to connect
    const [first, second] = await Promise.all([google.check(), google.check()]);
    expect(first).toMatchObject({ ok: false, message: expect.stringMatching(/could not be reached/) });
    expect(second).toBe(first); // a check already under way is shared, not started twice
    expect(google.client.calls).toBe(3);
  });
});
