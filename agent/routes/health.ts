/** GET /healthz: the agent is up and its database answers. */
import { Hono } from "hono";
import { sql } from "kysely";
import type { AgentDeps, AgentEnv } from "../context";

export function healthRoutes(deps: AgentDeps) {
  return new Hono<AgentEnv>().get("/healthz", async (c) => {
    try {
      await sql`select 1`.execute(deps.db);
      return c.json({ status: "ok" });
    } catch (error) {
      deps.log.error("health check failed", { error: String(error) });
      return c.json({ status: "unavailable", reason: "database" }, 503);
    }
  });
}
