/**
 * Staff sessions for the console: the session cookie, the Origin check that guards state-changing
 * calls, and the one permission check every console route uses.
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { isAllowed, type Permission } from "../../shared";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { resolveSession } from "../services/staff-accounts";

const cookieName = "techdesk_session";

function isLocalhost(c: Context): boolean {
  const host = new URL(c.req.url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host === "::1";
}

function isHttps(c: Context, deps: AgentDeps): boolean {
  return new URL(c.req.url).protocol === "https:" || deps.config.publicUrl?.startsWith("https:") === true;
}

/**
 * `__Host-` prefixed and Secure over HTTPS. Plain HTTP is allowed only on localhost (the embedded
 * demo), where the prefix cannot be used; anywhere else sign-in needs HTTPS.
 */
export function setSessionCookie(c: Context, deps: AgentDeps, token: string) {
  const options = { httpOnly: true, sameSite: "Lax" as const, path: "/", maxAge: deps.config.sessions.maxHours * 3600 };
  if (isHttps(c, deps)) setCookie(c, cookieName, token, { ...options, secure: true, prefix: "host" });
  else if (isLocalhost(c)) setCookie(c, cookieName, token, options);
  else throw new ApiError(403, "forbidden", "Sign-in needs HTTPS. Put the agent behind HTTPS and set PUBLIC_URL.");
}

export function clearSessionCookie(c: Context, deps: AgentDeps) {
  if (isHttps(c, deps)) deleteCookie(c, cookieName, { path: "/", secure: true, prefix: "host" });
  else deleteCookie(c, cookieName, { path: "/" });
}

/**
 * Read as `setSessionCookie` writes it. Over HTTPS only the `__Host-` cookie counts: a plain one
 * could have been planted by a sibling subdomain (session fixation), which is what the prefix stops.
 */
function sessionToken(c: Context, deps: AgentDeps): string | undefined {
  return isHttps(c, deps) ? getCookie(c, cookieName, "host") : getCookie(c, cookieName);
}

/** Requires a live session and sets `staff` on the context. */
export function requireSession(deps: AgentDeps): MiddlewareHandler<AgentEnv> {
  return async function staffSession(c, next) {
    const token = sessionToken(c, deps);
    const principal = token ? await resolveSession(deps.db, deps.config.sessions, token, deps.now()) : undefined;
    if (!principal)
      throw new ApiError(401, "unauthenticated", "Sign in to continue (your session may have timed out).");
    c.set("staff", principal);
    await next();
  };
}

/**
 * CSRF guard for the console API: a state-changing call must come from the console's own origin.
 * Together with JSON-only bodies (`requireJson`) this covers what `csrf()` alone does not.
 */
export function sameOrigin(deps: AgentDeps): MiddlewareHandler<AgentEnv> {
  return async function checkOrigin(c, next) {
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && c.req.method !== "OPTIONS") {
      const origin = c.req.header("origin");
      const allowed = new Set([new URL(c.req.url).origin]);
      if (deps.config.publicUrl) allowed.add(new URL(deps.config.publicUrl).origin);
      if (!origin || !allowed.has(origin)) {
        throw new ApiError(403, "forbidden", "This request did not come from the TechDesk console.");
      }
    }
    await next();
  };
}

/** The one authorization check: the signed-in person must hold `permission` in `school`. */
export function authorize(c: Context<AgentEnv>, permission: Permission, school?: string | null): void {
  if (!isAllowed(c.get("staff").grants, permission, school)) {
    throw new ApiError(403, "forbidden", "Your role does not allow this here.");
  }
}
