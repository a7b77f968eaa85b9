/** /api/notifications: the console's bell: what needs this person's attention, and marking it read. */
import { Hono } from "hono";
import { requireSession } from "../auth/session";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { requireJson } from "../http";
import { markRead, notificationsFor } from "../services/notifications";

export function notificationRoutes(deps: AgentDeps) {
  const session = requireSession(deps);
  return new Hono<AgentEnv>()
    .get("/api/notifications", session, async (c) => c.json(await notificationsFor(deps.db, c.get("staff"))))
    .post("/api/notifications/:id/read", session, requireJson, async (c) => {
      const param = c.req.param("id");
      const id = Number(param);
      if (param !== "all" && (!Number.isInteger(id) || id < 1))
        throw new ApiError(400, "bad_request", "A notification id is a positive whole number, or all.");
      await markRead(deps.db, c.get("staff"), param === "all" ? "all" : [id]);
      return c.json({ read: true });
    });
}
