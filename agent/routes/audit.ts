/** /api/audit: the audit log within the person's schools, filtered, as CSV, and whether its chain holds. */
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { auditQuery, holdsAnywhere } from "../../shared";
import { requireSession } from "../auth/session";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { parseQuery } from "../http";
import { auditCsv, searchAudit } from "../services/audit";
import { scopeFor } from "../services/ticket-desk";
import { verifyAuditChain } from "../store/audit";

export function auditRoutes(deps: AgentDeps) {
  const session = requireSession(deps);
  const readers = (grants: Parameters<typeof holdsAnywhere>[0]) => {
    if (!holdsAnywhere(grants, "audit.read"))
      throw new ApiError(403, "forbidden", "Your role does not include the audit log.");
    return scopeFor(grants, "audit.read");
  };
  return new Hono<AgentEnv>()
    .get("/api/audit", session, async (c) => {
      const scope = readers(c.get("staff").grants);
      return c.json(await searchAudit(deps.db, scope, parseQuery(c, auditQuery)));
    })
    .get("/api/audit/export.csv", session, async (c) => {
      const scope = readers(c.get("staff").grants);
      const query = parseQuery(c, auditQuery);
      const name = `techdesk-audit-${deps.now().toISOString().slice(0, 10)}.csv`;
      c.header("content-type", "text/csv; charset=utf-8");
      c.header("content-disposition", `attachment; filename="${name}"`);
      return stream(c, async (out) => {
        for await (const chunk of auditCsv(deps.db, scope, query)) await out.write(chunk);
      });
    })
    .get("/api/audit/verify", session, async (c) => {
      readers(c.get("staff").grants);
      return c.json(await verifyAuditChain(deps.db));
    });
}
