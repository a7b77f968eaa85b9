/**
 * Lost and stolen devices and MDM actions: disable / re-enable / deprovision (one device or many),
 * remote commands, marking a device missing and found, the bulk serial matcher, loaners, and the
 * actions' records. Requests are recorded at once (202) and carried to Google by the action worker.
 */
import { Hono } from "hono";
import type { Kysely } from "kysely";
import {
  actionQuery,
  commandRequest,
  holdsAnywhere,
  isAllowed,
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
import type { StaffPrincipal } from "../services/staff-accounts";
import type { Database } from "../store/schema";

/**
 * The actions with these ids that this person may see, whichever batch each is in: a bulk
 * request's answer can hold a device's earlier open action, and may be larger than one page of
 * a batch.
 */
async function actionsById(db: Kysely<Database>, staff: StaffPrincipal, ids: readonly string[]) {
  const rows = await db.selectFrom("deviceActions").selectAll().where("id", "in", ids).execute();
  return rows.filter((r) => isAllowed(staff.grants, "device.read", r.school)).map(actions.toDeviceAction);
}

export function deviceActionRoutes(deps: AgentDeps) {
  const session = requireSession(deps);
  const kick = () => deps.actions?.kick();
  return new Hono<AgentEnv>()
    .get("/api/device-actions", session, async (c) => {
      if (!holdsAnywhere(c.get("staff").grants, "device.read"))
        throw new ApiError(403, "forbidden", "Your role does not include devices.");
      const query = parseQuery(c, actionQuery);
      const staff = c.get("staff");
      return c.json({
        actions: query.ids
          ? await actionsById(deps.db, staff, query.ids)
          : await actions.listActions(deps.db, staff, query),
      });
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
