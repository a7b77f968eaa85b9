/** GET /v1/device/tickets: a device reads the status of its own tickets. */
import { Hono } from "hono";
import type { DeviceTicketList } from "../../shared";
import { DeviceThrottle, deviceLimits } from "../auth/device-throttle";
import { deviceAuth } from "../auth/tokens";
import type { AgentDeps, AgentEnv } from "../context";
import { toTicket } from "../services/tickets";
import { listTicketsForEnrollment } from "../store/tickets";

export function deviceTicketRoutes(deps: AgentDeps) {
  const throttle = new DeviceThrottle(
    deps.deviceLimits?.ticketReads ?? deviceLimits.ticketReads,
    "This Chromebook has checked its tickets a lot in a short time",
  );
  return new Hono<AgentEnv>().get("/v1/device/tickets", deviceAuth(deps, throttle), async (c) => {
    const rows = await listTicketsForEnrollment(deps.db, c.get("enrollment").id);
    return c.json({ tickets: rows.map(toTicket) } satisfies DeviceTicketList);
  });
}
