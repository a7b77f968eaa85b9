/** /api/settings/google: how the agent reaches Google, and whether it works, in words. */
import { Hono } from "hono";
import { authorize, requireSession } from "../auth/session";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { requireJson } from "../http";

export function settingsRoutes(deps: AgentDeps) {
  const session = requireSession(deps);
  const google = () => {
    if (!deps.google) throw new ApiError(503, "internal", "This agent has no Google connection.");
    return deps.google;
  };
  return new Hono<AgentEnv>()
    .get("/api/settings/google", session, (c) => {
      authorize(c, "user.manage");
      return c.json(google().status);
    })
    .post("/api/settings/google/check", session, requireJson, async (c) => {
      authorize(c, "user.manage");
      return c.json(await google().check());
    });
}
