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
}

function readFlow(c: Context): Flow | undefined {
  const raw = getCookie(c, flowCookie);
  if (!raw) return undefined;
  try {
    return JSON.parse(Buffer.from(raw, "base64url").toString()) as Flow;
  } catch {
    return undefined;
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Back to the sign-in page with a reason it can put into words. */
const failed = (c: Context, reason: string) => c.redirect(`/?signin_error=${reason}`, 302);

export function googleSignInRoutes(deps: AgentDeps) {
  return new Hono<AgentEnv>()
    .get("/api/auth/methods", (c) => c.json({ password: true, google: Boolean(deps.googleSignIn) }))
    .get("/api/auth/google", async (c) => {
      if (!deps.googleSignIn) return failed(c, "google_off");
      const state = randomBytes(24).toString("base64url");
      const nonce = randomBytes(24).toString("base64url");
      const { url, codeVerifier } = await deps.googleSignIn.start(state, nonce);
      const secure = new URL(c.req.url).protocol === "https:" || deps.config.publicUrl?.startsWith("https:") === true;
      // SameSite=Lax: the cookie must ride along on Google's top-level redirect back to us.
      setCookie(
        c,
        flowCookie,
        Buffer.from(JSON.stringify({ state, nonce, codeVerifier } satisfies Flow)).toString("base64url"),
        {
          httpOnly: true,
          sameSite: "Lax",
          secure,
          path: flowPath,
          maxAge: 600,
        },
      );
      return c.redirect(url, 302);
    })
    .get("/api/auth/google/callback", async (c) => {
      const flow = readFlow(c);
      deleteCookie(c, flowCookie, { path: flowPath });
      if (!deps.googleSignIn) return failed(c, "google_off");
      if (c.req.query("error")) return failed(c, "cancelled");
      const code = c.req.query("code");
      const state = c.req.query("state");
      if (!flow || !code || !state || !sameSecret(state, flow.state)) return failed(c, "expired");
      try {
        const identity = await deps.googleSignIn.finish(code, flow.codeVerifier, flow.nonce);
        const user = await findStaffUserByEmail(deps.db, identity.email);
        if (!user) return failed(c, "no_account");
        if (user.disabled) return failed(c, "disabled");
        const token = await openSession(deps.db, deps.config.sessions, user.id, c.req.header("user-agent"), deps.now());
        setSessionCookie(c, deps, token);
        deps.log.info("staff signed in with Google", { userId: user.id, domain: identity.domain });
        return c.redirect("/", 302);
      } catch (error) {
        if (error instanceof GoogleSignInError) return failed(c, error.reason);
        throw error;
      }
    });
}
