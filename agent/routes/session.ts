/** /api/session: sign in with a local account, read who is signed in, sign out (here or everywhere). */
import { Hono } from "hono";
import { z } from "zod";
import { isAllowed, permissionNames } from "../../shared";
import { clientAddressReader } from "../auth/client-address";
import { addressKey } from "../auth/device-throttle";
import { clearSessionCookie, requireSession, setSessionCookie } from "../auth/session";
import { SignInThrottle } from "../auth/sign-in-throttle";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { parseBody, requireJson } from "../http";
import { signIn, signOut, signOutEverywhere } from "../services/staff-accounts";

const signInBody = z.object({ email: z.string().trim().min(3).max(320), password: z.string().min(1).max(1024) });

export function sessionRoutes(deps: AgentDeps, throttle = new SignInThrottle()) {
  const session = requireSession(deps);
  // Behind a proxy named in TRUSTED_PROXIES, the address it forwarded for; otherwise the socket's.
  const clientAddress = clientAddressReader(deps.config.trustedProxies);
  return new Hono<AgentEnv>()
    .post("/api/session", requireJson, async (c) => {
      const body = await parseBody(c, signInBody);
      const address = addressKey(clientAddress(c));
      const now = deps.now();
      const wait = throttle.reserve(address, now.getTime());
      if (wait) {
        throw new ApiError(
          429,
          "rate_limited",
          `Too many failed sign-ins from this network. Try again in ${wait} minute${wait === 1 ? "" : "s"}.`,
        );
      }
      let token: string;
      try {
        ({ token } = await signIn(
          deps.db,
          deps.config.sessions,
          { ...body, userAgent: c.req.header("user-agent") },
          now,
        ));
      } catch (error) {
        // Only a refused email and password counts against the address; anything else is handed back.
        if (!(error instanceof ApiError && error.status === 401)) throttle.forgive(address, now.getTime());
        throw error;
      }
      throttle.forgive(address, now.getTime());
      setSessionCookie(c, deps, token);
      return c.json({ signedIn: true }, 201);
    })
    .get("/api/session", session, (c) => {
      const { user, grants } = c.get("staff");
      // What this person may do somewhere: the console shows and hides actions from this list.
      const permissions = permissionNames.filter((p) =>
        grants.some((g) => isAllowed([g], p, g.school === "*" ? null : g.school)),
      );
      return c.json({ user, grants, permissions });
    })
    .delete("/api/session", session, async (c) => {
      await signOut(deps.db, c.get("staff").sessionHash);
      clearSessionCookie(c, deps);
      return c.body(null, 204);
    })
    .post("/api/session/sign-out-everywhere", session, requireJson, async (c) => {
      const ended = await signOutEverywhere(deps.db, c.get("staff").user.id);
      clearSessionCookie(c, deps);
      return c.json({ ended });
    });
}
