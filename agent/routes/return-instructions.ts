/**
 * /api/return-instructions: what a disabled Chromebook shows (return address, phone), per school.
 * Google holds it, as `chrome.devices.DisabledDeviceReturnInstructions` on the school's OU.
 */
import { Hono } from "hono";
import { holdsAnywhere, isAllowed, returnInstructions } from "../../shared";
import { requireSession } from "../auth/session";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { directoryAdapter } from "../google/directory";
import { policyAdapter } from "../google/policy";
import { parseBody, requireJson } from "../http";
import { appendAudit } from "../store/audit";

export const returnInstructionsSchema = "chrome.devices.DisabledDeviceReturnInstructions";

export function returnInstructionRoutes(deps: AgentDeps) {
  const session = requireSession(deps);
  const google = () => {
    if (!deps.google) throw new ApiError(503, "internal", "This agent has no Google connection.");
    return deps.google.client;
  };
  async function schools() {
    const units = await directoryAdapter(google()).listOrgUnits();
    const ids = new Map(units.map((u) => [(u.orgUnitId ?? "").replace(/^id:/, ""), u.orgUnitPath ?? ""]));
    const parent = deps.config.schoolsOu;
    return {
      ids,
      schools: units
        .filter((u) => u.parentOrgUnitPath === parent || (parent === "/" && u.parentOrgUnitPath === "/"))
        .map((u) => ({ school: u.orgUnitPath ?? "", orgUnitId: (u.orgUnitId ?? "").replace(/^id:/, "") }))
        .sort((a, b) => a.school.localeCompare(b.school)),
    };
  }
  return new Hono<AgentEnv>()
    .get("/api/return-instructions", session, async (c) => {
      const grants = c.get("staff").grants;
      if (!holdsAnywhere(grants, "device.disable"))
        throw new ApiError(403, "forbidden", "Your role does not include disabling devices.");
      const { ids, schools: all } = await schools();
      const mine = all.filter((s) => isAllowed(grants, "device.disable", s.school));
      const policy = policyAdapter(google());
      const out = [];
      for (const school of mine) {
        const [resolved] = await policy.resolve(school.orgUnitId, returnInstructionsSchema);
        const source = resolved?.sourceKey?.targetResource?.replace(/^orgunits\//, "");
        const message = (resolved?.value?.value as { deviceDisabledMessage?: string } | undefined)
          ?.deviceDisabledMessage;
        out.push({
          school: school.school,
          message: message || undefined,
          inheritedFrom: message && source && source !== school.orgUnitId ? (ids.get(source) ?? source) : undefined,
        });
      }
      return c.json({ schools: out, schoolsOu: deps.config.schoolsOu });
    })
    .post("/api/return-instructions", session, requireJson, async (c) => {
      const input = await parseBody(c, returnInstructions);
      const staff = c.get("staff");
      if (!isAllowed(staff.grants, "device.disable", input.school))
        throw new ApiError(403, "forbidden", "Your role does not allow you to set this school's return instructions.");
      const { schools: all } = await schools();
      const school = all.find((s) => s.school === input.school);
      if (!school)
        throw new ApiError(404, "not_found", `${input.school} is not a school under ${deps.config.schoolsOu}.`);
      const policy = policyAdapter(google());
      const [before] = await policy.resolve(school.orgUnitId, returnInstructionsSchema);
      await policy.modify([
        {
          orgUnitId: school.orgUnitId,
          policySchema: returnInstructionsSchema,
          value: { deviceDisabledMessage: input.message },
        },
      ]);
      const at = deps.now().toISOString();
      await deps.db.transaction().execute((trx) =>
        appendAudit(trx, {
          at,
          actorId: staff.user.id,
          actorName: staff.user.displayName,
          action: "policy.return_instructions",
          school: input.school,
          reason: "Disabled device return instructions set",
          requestId: c.get("requestId"),
          before: {
            message: (before?.value?.value as { deviceDisabledMessage?: string } | undefined)?.deviceDisabledMessage,
          },
          after: { message: input.message },
          google: { policySchema: returnInstructionsSchema, orgUnitId: school.orgUnitId },
        }),
      );
      return c.json({ school: input.school, message: input.message });
    });
}
