/**
 * A stand-in for Google's OpenID Connect endpoints on loopback: the authorize step, the token
 * exchange (with PKCE checked) and the signing certificates, so Google sign-in is tested through
 * the real google-auth-library client.
 */
import { createHash, createSign, generateKeyPairSync, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

export interface FakeIdentity {
  email: string;
  hd?: string;
  email_verified?: boolean;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

export async function startFakeGoogle(clientId: string) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = "fake-google-key";
  const codes = new Map<string, { identity: FakeIdentity; nonce: string; challenge: string }>();
  let nextIdentity: FakeIdentity = { email: "someone@example.org" };

  function idToken(identity: FakeIdentity, nonce: string): string {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: "RS256", kid, typ: "JWT" }));
    const payload = b64url(
      JSON.stringify({
        iss: "https://accounts.google.com",
        aud: clientId,
        sub: randomBytes(8).toString("hex"),
        iat: now,
        exp: now + 3600,
        nonce,
        email_verified: true,
        ...identity,
      }),
    );
    const signature = createSign("RSA-SHA256").update(`${header}.${payload}`).sign(privateKey).toString("base64url");
    return `${header}.${payload}.${signature}`;
  }

  const app = new Hono()
    .get("/auth", (c) => {
      const code = randomBytes(16).toString("hex");
      codes.set(code, {
        identity: nextIdentity,
        nonce: c.req.query("nonce") ?? "",
        challenge: c.req.query("code_challenge") ?? "",
      });
      const back = new URL(c.req.query("redirect_uri") ?? "");
      back.searchParams.set("code", code);
      back.searchParams.set("state", c.req.query("state") ?? "");
      return c.redirect(back.toString(), 302);
    })
    .post("/token", async (c) => {
      const form = await c.req.parseBody();
      const issued = codes.get(String(form.code));
      codes.delete(String(form.code));
      const verifier = String(form.code_verifier ?? "");
      if (
        !issued ||
        createHash("sha256").update(verifier).digest("base64url") !== issued.challenge ||
        form.client_id !== clientId
      ) {
        return c.json({ error: "invalid_grant" }, 400);
      }
      return c.json({
        access_token: "fake",
        token_type: "Bearer",
        expires_in: 3600,
        id_token: idToken(issued.identity, issued.nonce),
      });
    })
    .get("/certs", (c) => c.json({ [kid]: publicKey.export({ type: "spki", format: "pem" }).toString() }));

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoints: {
      oauth2AuthBaseUrl: `${base}/auth`,
      oauth2TokenUrl: `${base}/token`,
      oauth2FederatedSignonPemCertsUrl: `${base}/certs`,
    },
    /** Who Google says the next person to sign in is. */
    signInAs(identity: FakeIdentity) {
      nextIdentity = identity;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
