/**
 * /v1/compliance: a device's extension reports what it sees of its own compliance (the extensions
 * present and enabled, the proxy mode). The latest report per device is kept for the filter audit,
 * under Google's device id only for an enrollment verified against the inventory.
 */
import { Hono } from "hono";
import { complianceReport } from "../../shared";
import { DeviceThrottle, deviceLimits } from "../auth/device-throttle";
import { deviceAuth } from "../auth/tokens";
import type { AgentDeps, AgentEnv } from "../context";
import { parseBody, requireJson } from "../http";
import { verifiedDevice } from "../services/devices";

export function complianceRoutes(deps: AgentDeps) {
  const throttle = new DeviceThrottle(
    deps.deviceLimits?.compliance ?? deviceLimits.compliance,
    "This Chromebook has sent a lot of compliance reports in a short time",
  );
  return new Hono<AgentEnv>().post("/v1/compliance", deviceAuth(deps, throttle), requireJson, async (c) => {
    const report = await parseBody(c, complianceReport);
    const enrollment = c.get("enrollment");
    // Google's id only when the enrollment is that inventory device by id and serial, checked now (the
    // inventory may have synced since it enrolled); otherwise the enrollment stands in for the device,
    // so an enrollment claiming another device's id cannot overwrite (and hide) that device's report.
    const device = await verifiedDevice(deps.db, enrollment);
    const deviceId = device ? device.deviceId : `enrollment:${enrollment.id}`;
    const row = {
      reportedAt: deps.now().toISOString(),
      managementGranted: report.managementGranted ? 1 : 0,
      extensions: JSON.stringify(report.extensions),
      proxyMode: report.proxy?.mode ?? null,
      proxyControl: report.proxy?.levelOfControl ?? null,
      warnings: JSON.stringify(report.warnings),
    };
    await deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("deviceCompliance")
        .values({ deviceId, ...row })
        .onConflict((oc) => oc.column("deviceId").doUpdateSet(row))
        .execute();
      // A report kept under the enrollment before the inventory knew the device is now stale.
      if (device)
        await trx.deleteFrom("deviceCompliance").where("deviceId", "=", `enrollment:${enrollment.id}`).execute();
    });
    return c.json({ recorded: true as const });
  });
}
