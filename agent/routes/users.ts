/** /api/users (district admins) and /api/assignees (whoever may assign tickets in a school). */
import { Hono } from "hono";
import { z } from "zod";
import { newStaffMember, staffMemberChange } from "../../shared";
import { authorize, requireSession } from "../auth/session";
import type { AgentDeps, AgentEnv } from "../context";
import { parseBody, parseQuery, requireJson } from "../http";
import { addStaff, assigneesFor, changeStaff, listStaff } from "../services/staff-directory";

const assigneeQuery = z.object({ school: z.string().min(1).max(512).optional() });

export function userRoutes(deps: AgentDeps) {
  const session = requireSession(deps);
  return new Hono<AgentEnv>()
    .get("/api/users", session, async (c) => {
      authorize(c, "user.manage");
      return c.json({ users: await listStaff(deps.db) });
    })
    .post("/api/users", session, requireJson, async (c) => {
      authorize(c, "user.manage");
      const body = await parseBody(c, newStaffMember);
      const context = { requestId: c.get("requestId"), now: deps.now() };
      return c.json({ id: await addStaff(deps.db, c.get("staff"), body, context) }, 201);
    })
    .patch("/api/users/:id", session, requireJson, async (c) => {
      authorize(c, "user.manage");
      const body = await parseBody(c, staffMemberChange);
      const context = { requestId: c.get("requestId"), now: deps.now() };
      await changeStaff(deps.db, c.get("staff"), c.req.param("id"), body, context);
      return c.body(null, 204);
    })
    .get("/api/assignees", session, async (c) => {
      const { school } = parseQuery(c, assigneeQuery);
      authorize(c, "ticket.assign", school ?? null);
      return c.json({ assignees: await assigneesFor(deps.db, school ?? null) });
    });
}
