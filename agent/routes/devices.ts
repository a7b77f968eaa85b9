/** /api/devices: the Devices page's search and one device with its tickets, assignments, telemetry and actions. */
import { Hono } from "hono";
import { deviceQuery, holdsAnywhere } from "../../shared";
import { requireSession } from "../auth/session";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { parseQuery } from "../http";
import { deviceControlsFor } from "../services/device-actions";
import { deviceDetailFor, searchDevices } from "../services/devices";
import { scopeFor } from "../services/ticket-desk";

export function deviceRoutes(deps: AgentDeps) {
  const session = requireSession(deps);
  return new Hono<AgentEnv>()
    .get("/api/devices", session, async (c) => {
      const grants = c.get("staff").grants;
      if (!holdsAnywhere(grants, "device.read"))
        throw new ApiError(403, "forbidden", "Your role does not include devices.");
      const query = parseQuery(c, deviceQuery);
      return c.json(await searchDevices(deps.db, scopeFor(grants, "device.read"), query));
    })
    .get("/api/devices/:deviceId", session, async (c) => {
      const detail = await deviceDetailFor(deps.db, c.get("staff"), c.req.param("deviceId"));
      return c.json({ ...detail, ...(await deviceControlsFor(deps.db, c.get("staff"), detail)) });
    });
}
