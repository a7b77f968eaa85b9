/**
 * /v1/compliance: a device's extension reports what it sees of its own compliance (the extensions
 * present and enabled, the proxy mode). The latest report per device is kept for the filter audit.
 */
import { Hono } from "hono";
import { complianceReport } from "../../shared";
import { deviceAuth } from "../auth/tokens";
import type { AgentDeps, AgentEnv } from "../context";
import { parseBody, requireJson } from "../http";

export function complianceRoutes(deps: AgentDeps) {
  return new Hono<AgentEnv>().post("/v1/compliance", deviceAuth(deps), requireJson, async (c) => {
    const report = await parseBody(c, complianceReport);
    const enrollment = c.get("enrollment");
    // Google's id when the device told us it; otherwise the enrollment stands in for the device.
    const deviceId = enrollment.directoryDeviceId ?? `enrollment:${enrollment.id}`;
    const row = {
      reportedAt: deps.now().toISOString(),
      managementGranted: report.managementGranted ? 1 : 0,
      extensions: JSON.stringify(report.extensions),
      proxyMode: report.proxy?.mode ?? null,
      proxyControl: report.proxy?.levelOfControl ?? null,
      warnings: JSON.stringify(report.warnings),
    };
    await deps.db
      .insertInto("deviceCompliance")
      .values({ deviceId, ...row })
      .onConflict((oc) => oc.column("deviceId").doUpdateSet(row))
      .execute();
    return c.json({ recorded: true as const });
  });
}
