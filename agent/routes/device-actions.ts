/**
 * Lost and stolen devices and MDM actions: disable / re-enable / deprovision (one device or many),
 * remote commands, marking a device missing and found, the bulk serial matcher, loaners, and the
 * actions' records. Requests are recorded at once (202) and carried to Google by the action worker.
 */
import { Hono } from "hono";
import {
  actionQuery,
  commandRequest,
  holdsAnywhere,
  loanRequest,
  markFoundRequest,
  markMissingRequest,
  matchRequest,
  statusActionRequest,
} from "../../shared";
import { requireSession } from "../auth/session";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { parseBody, parseQuery, requireJson } from "../http";
import * as actions from "../services/device-actions";
import { lendDevice, returnLoan } from "../services/loans";

export function deviceActionRoutes(deps: AgentDeps) {
  const session = requireSession(deps);
  const kick = () => deps.actions?.kick();
  return new Hono<AgentEnv>()
    .get("/api/device-actions", session, async (c) => {
      if (!holdsAnywhere(c.get("staff").grants, "device.read"))
        throw new ApiError(403, "forbidden", "Your role does not include devices.");
      const query = parseQuery(c, actionQuery);
      return c.json({ actions: await actions.listActions(deps.db, c.get("staff"), query) });
    })
    .post("/api/device-actions", session, requireJson, async (c) => {
      const input = await parseBody(c, statusActionRequest);
      const recorded = await actions.requestStatusChange(deps.db, c.get("staff"), input, {
        requestId: c.get("requestId"),
        now: deps.now(),
      });
      kick();
      return c.json({ actions: recorded }, 202);
    })
    .post("/api/devices/:deviceId/commands", session, requireJson, async (c) => {
      const input = await parseBody(c, commandRequest);
      const action = await actions.requestCommand(deps.db, c.get("staff"), c.req.param("deviceId"), input, {
        requestId: c.get("requestId"),
        now: deps.now(),
      });
      kick();
      return c.json({ action }, 202);
    })
    .post("/api/devices/:deviceId/missing", session, requireJson, async (c) => {
      const input = await parseBody(c, markMissingRequest);
      await actions.markMissingFor(deps.db, c.get("staff"), c.req.param("deviceId"), input, {
        requestId: c.get("requestId"),
        now: deps.now(),
      });
      return c.json({ missing: true }, 201);
    })
    .post("/api/devices/:deviceId/found", session, requireJson, async (c) => {
      const input = await parseBody(c, markFoundRequest);
      const result = await actions.markFound(deps.db, c.get("staff"), c.req.param("deviceId"), input, {
        requestId: c.get("requestId"),
        now: deps.now(),
      });
      if (result.reenable) kick();
      return c.json({ missing: false, ...result });
    })
    .get("/api/missing-devices", session, async (c) => {
      if (!holdsAnywhere(c.get("staff").grants, "device.read"))
        throw new ApiError(403, "forbidden", "Your role does not include devices.");
      return c.json({
        devices: await actions.listMissing(deps.db, c.get("staff")),
        canDisable: holdsAnywhere(c.get("staff").grants, "device.disable"),
      });
    })
    .post("/api/device-matches", session, requireJson, async (c) => {
      if (!holdsAnywhere(c.get("staff").grants, "device.read"))
        throw new ApiError(403, "forbidden", "Your role does not include devices.");
      const { text } = await parseBody(c, matchRequest);
      return c.json({ lines: await actions.matchDevices(deps.db, c.get("staff"), text) });
    })
    .post("/api/devices/:deviceId/loan", session, requireJson, async (c) => {
      const input = await parseBody(c, loanRequest);
      const loan = await lendDevice(deps.db, c.get("staff"), c.req.param("deviceId"), input, {
        requestId: c.get("requestId"),
        now: deps.now(),
      });
      return c.json({ loan }, 201);
    })
    .post("/api/devices/:deviceId/return", session, requireJson, async (c) => {
      await returnLoan(deps.db, c.get("staff"), c.req.param("deviceId"), {
        requestId: c.get("requestId"),
        now: deps.now(),
      });
      return c.json({ returned: true });
    });
}
