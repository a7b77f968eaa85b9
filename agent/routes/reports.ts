/** POST /v1/reports: a device files a problem report and gets its ticket number. */
import { Hono } from "hono";
import { problemReport, type ReportReceipt } from "../../shared";
import { DeviceThrottle, deviceLimits } from "../auth/device-throttle";
import { deviceAuth } from "../auth/tokens";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { parseBody, requireJson } from "../http";
import { fileReport } from "../services/tickets";

export function reportRoutes(deps: AgentDeps) {
  const throttle = new DeviceThrottle(
    deps.deviceLimits?.reports ?? deviceLimits.reports,
    "This Chromebook has sent a lot of reports in a short time",
  );
  return new Hono<AgentEnv>().post("/v1/reports", deviceAuth(deps, throttle), requireJson, async (c) => {
    const report = await parseBody(c, problemReport);
    const headerKey = c.req.header("idempotency-key");
    if (headerKey !== undefined && headerKey !== report.idempotencyKey) {
      throw new ApiError(400, "bad_request", "The Idempotency-Key header and the body's idempotencyKey differ.");
    }
    const filed = await fileReport(deps.db, c.get("enrollment"), report, deps.now());
    if (filed.replayed) c.header("Idempotent-Replayed", "true");
    else
      deps.log.info("ticket filed", {
        ticket: filed.ticket.number,
        queue: filed.ticket.queue,
        requestId: c.get("requestId"),
      });
    return c.json({ ticket: filed.ticket } satisfies ReportReceipt, 201);
  });
}
