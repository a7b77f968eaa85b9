/** GET /v1/staff/tickets and /v1/staff/tickets/:number: the staff listing and one ticket in full. */
import { Hono } from "hono";
import { type StaffTicketPage, staffTicketQuery, ticketNumber } from "../../shared";
import { staffAuth } from "../auth/tokens";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { parseQuery } from "../http";
import { ticketDetail, toStaffSummary } from "../services/tickets";
import { listTickets } from "../store/tickets";

export function staffTicketRoutes(deps: AgentDeps) {
  return new Hono<AgentEnv>()
    .use("/v1/staff/*", staffAuth(deps))
    .get("/v1/staff/tickets", async (c) => {
      const query = parseQuery(c, staffTicketQuery);
      if (query.cursor !== undefined && !/^\d+$/.test(query.cursor))
        throw new ApiError(400, "bad_request", "The cursor is not one this agent gave out.");
      const rows = await listTickets(deps.db, query);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const body: StaffTicketPage = { tickets: page.map(toStaffSummary) };
      if (rows.length > query.limit && last) body.nextCursor = String(last.number);
      return c.json(body);
    })
    .get("/v1/staff/tickets/:number", async (c) => {
      const number = ticketNumber.safeParse(Number(c.req.param("number")));
      if (!number.success) throw new ApiError(400, "bad_request", "A ticket number is a positive whole number.");
      const detail = await ticketDetail(deps.db, number.data);
      if (!detail) throw new ApiError(404, "not_found", `There is no ticket #${number.data}.`);
      return c.json(detail);
    });
}
