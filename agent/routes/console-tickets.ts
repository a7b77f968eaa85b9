/** /api/tickets: the console's ticket queue, one ticket in full, and the actions on it. */
import { Hono } from "hono";
import {
  assignBody,
  type ConsoleTicketPage,
  commentBody,
  consoleTicketQuery,
  escalateBody,
  reopenBody,
  resolveBody,
  ticketNumber,
} from "../../shared";
import { requireSession } from "../auth/session";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { parseBody, parseQuery, requireJson } from "../http";
import * as desk from "../services/ticket-desk";
import { decodeCursor, encodeCursor, searchTickets, ticketSchools } from "../store/ticket-desk";

function numberParam(value: string): number {
  const parsed = ticketNumber.safeParse(Number(value));
  if (!parsed.success) throw new ApiError(400, "bad_request", "A ticket number is a positive whole number.");
  return parsed.data;
}

export function consoleTicketRoutes(deps: AgentDeps) {
  const session = requireSession(deps);
  return new Hono<AgentEnv>()
    .get("/api/tickets", session, async (c) => {
      const query = parseQuery(c, consoleTicketQuery);
      const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      if (query.cursor !== undefined && !cursor)
        throw new ApiError(400, "bad_request", "The cursor is not one this agent gave out.");
      const scope = desk.scopeFor(c.get("staff").grants, "ticket.read");
      const { rows, total } = await searchTickets(deps.db, query, scope, cursor, deps.now());
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const body: ConsoleTicketPage = { tickets: page.map(desk.toConsoleTicket), total };
      if (rows.length > query.limit && last)
        body.nextCursor = encodeCursor({ number: last.number, updatedAt: last.updatedAt });
      return c.json(body);
    })
    .get("/api/schools", session, async (c) => {
      const scope = desk.scopeFor(c.get("staff").grants, "ticket.read");
      const granted = c
        .get("staff")
        .grants.map((g) => g.school)
        .filter((s) => s !== "*");
      const schools = new Set([...granted, ...(await ticketSchools(deps.db, scope))]);
      return c.json({ schools: [...schools].sort() });
    })
    .get("/api/tickets/:number", session, async (c) =>
      c.json(await desk.ticketDetailFor(deps.db, c.get("staff"), numberParam(c.req.param("number")))),
    )
    .post("/api/tickets/:number/comments", session, requireJson, async (c) => {
      const { body } = await parseBody(c, commentBody);
      await desk.commentOn(deps.db, c.get("staff"), numberParam(c.req.param("number")), body, deps.now());
      return c.body(null, 204);
    })
    .post("/api/tickets/:number/assign", session, requireJson, async (c) => {
      const { assigneeId, expectedUpdatedAt } = await parseBody(c, assignBody);
      const number = numberParam(c.req.param("number"));
      await desk.assign(deps.db, c.get("staff"), number, assigneeId, deps.now(), expectedUpdatedAt);
      return c.body(null, 204);
    })
    .post("/api/tickets/:number/escalate", session, requireJson, async (c) => {
      const body = await parseBody(c, escalateBody);
      await desk.escalate(deps.db, c.get("staff"), numberParam(c.req.param("number")), body, deps.now());
      return c.body(null, 204);
    })
    .post("/api/tickets/:number/resolve", session, requireJson, async (c) => {
      const { resolution, expectedUpdatedAt } = await parseBody(c, resolveBody);
      const number = numberParam(c.req.param("number"));
      await desk.resolve(deps.db, c.get("staff"), number, resolution, deps.now(), expectedUpdatedAt);
      return c.body(null, 204);
    })
    .post("/api/tickets/:number/reopen", session, requireJson, async (c) => {
      const { reason, expectedUpdatedAt } = await parseBody(c, reopenBody);
      const number = numberParam(c.req.param("number"));
      await desk.reopen(deps.db, c.get("staff"), number, reason, deps.now(), expectedUpdatedAt);
      return c.body(null, 204);
    });
}
