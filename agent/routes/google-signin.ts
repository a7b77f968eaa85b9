/** /api/auth/*: which sign-in methods are on, and Google sign-in's round trip. */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { GoogleSignInError } from "../auth/google-signin";
import { setSessionCookie } from "../auth/session";
import type { AgentDeps, AgentEnv } from "../context";
import { openSession } from "../services/staff-accounts";
import { findStaffUserByEmail } from "../store/staff";

const flowCookie = "techdesk_google_signin";
const flowPath = "/api/auth/google";

interface Flow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The console page to come back to, e.g. "#/tickets/123". */
  route?: string;
}

/**
 * A console hash route and nothing else: "#/" then URL characters, no "#", backslash or space, and
 * short. Only ever put after "/" in a redirect, so it cannot name another site.
 */
const consoleRoute = /^#\/[\w\-.~!$&'()*+,;=:@/?%]{0,254}$/;

function returnRoute(value: string | undefined): string | undefined {
  return value !== undefined && consoleRoute.test(value) ? value : undefined;
}

function isHttps(c: Context, deps: AgentDeps): boolean {
  return new URL(c.req.url).protocol === "https:" || deps.config.publicUrl?.startsWith("https:") === true;
}

/**
 * Over HTTPS the flow cookie is `__Host-` prefixed (so Path=/ and Secure), as the session cookie is:
 * a sibling subdomain cannot plant one of its own and sign someone in as the attacker (login CSRF).
 * Plain HTTP is only the localhost demo, where the prefix cannot be used.
 */
function writeFlow(c: Context, deps: AgentDeps, flow: Flow) {
  const value = Buffer.from(JSON.stringify(flow)).toString("base64url");
  // SameSite=Lax: the cookie must ride along on Google's top-level redirect back to us.
  const options = { httpOnly: true, sameSite: "Lax" as const, maxAge: 600 };
  if (isHttps(c, deps)) setCookie(c, flowCookie, value, { ...options, path: "/", secure: true, prefix: "host" });
  else setCookie(c, flowCookie, value, { ...options, path: flowPath });
}

/** Read as `writeFlow` writes it: over HTTPS only the `__Host-` cookie counts. */
function readFlow(c: Context, deps: AgentDeps): Flow | undefined {
  const raw = isHttps(c, deps) ? getCookie(c, flowCookie, "host") : getCookie(c, flowCookie);
  if (!raw) return undefined;
  try {
    return JSON.parse(Buffer.from(raw, "base64url").toString()) as Flow;
  } catch {
    return undefined;
  }
}

function clearFlow(c: Context, deps: AgentDeps) {
  if (isHttps(c, deps)) deleteCookie(c, flowCookie, { path: "/", secure: true, prefix: "host" });
  else deleteCookie(c, flowCookie, { path: flowPath });
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Back to the sign-in page with a reason it can put into words, on the page the person was going to. */
const failed = (c: Context, reason: string, route?: string) =>
  c.redirect(`/?signin_error=${reason}${route ?? ""}`, 302);

export function googleSignInRoutes(deps: AgentDeps) {
  return new Hono<AgentEnv>()
    .get("/api/auth/methods", (c) => c.json({ password: true, google: Boolean(deps.googleSignIn) }))
    .get("/api/auth/google", async (c) => {
      // The browser never sends the address's hash, so the console passes its page along.
      const route = returnRoute(c.req.query("route"));
      if (!deps.googleSignIn) return failed(c, "google_off", route);
      const state = randomBytes(24).toString("base64url");
      const nonce = randomBytes(24).toString("base64url");
      const { url, codeVerifier } = await deps.googleSignIn.start(state, nonce);
      writeFlow(c, deps, { state, nonce, codeVerifier, ...(route ? { route } : {}) });
      return c.redirect(url, 302);
    })
    .get("/api/auth/google/callback", async (c) => {
      const flow = readFlow(c, deps);
      clearFlow(c, deps);
      const route = returnRoute(flow?.route);
      if (!deps.googleSignIn) return failed(c, "google_off", route);
      if (c.req.query("error")) return failed(c, "cancelled", route);
      const code = c.req.query("code");
      const state = c.req.query("state");
      if (!flow || !code || !state || !sameSecret(state, flow.state)) return failed(c, "expired", route);
      try {
        const identity = await deps.googleSignIn.finish(code, flow.codeVerifier, flow.nonce);
        const user = await findStaffUserByEmail(deps.db, identity.email);
        if (!user) return failed(c, "no_account", route);
        if (user.disabled) return failed(c, "disabled", route);
        const token = await openSession(deps.db, deps.config.sessions, user.id, c.req.header("user-agent"), deps.now());
        setSessionCookie(c, deps, token);
        deps.log.info("staff signed in with Google", { userId: user.id, domain: identity.domain });
        return c.redirect(`/${route ?? ""}`, 302);
      } catch (error) {
        if (error instanceof GoogleSignInError) return failed(c, error.reason, route);
        throw error;
      }
    });
}
