/**
 * /api/filter: filter integrity for staff. The dashboard (every school's verdicts, the last check,
 * the write queue), running a check, drift history, the baseline and its editor, restoring an OU
 * (dry run, then the reviewed writes queued), and pushing TechDesk itself to a school.
 * Reading and running checks is the student tech team's; changing policy is IT leads' and admins'.
 */
import { Hono } from "hono";
import {
  appPushRequest,
  type Baseline,
  type BaselineApp,
  filterHistoryQuery,
  filterVerdict,
  holdsAnywhere,
  isAllowed,
  normalSchool,
  remediationPreviewRequest,
  remediationRequest,
  schoolWithin,
  techdeskPushRequest,
} from "../../shared";
import { requireSession } from "../auth/session";
import type { AgentConfig } from "../config";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { deviceCompliance } from "../filter/devices";
import { planRestore } from "../filter/remediation";
import { directoryAdapter } from "../google/directory";
import { policyAdapter } from "../google/policy";
import { parseBody, parseQuery, requireJson } from "../http";
import { leaseHolder } from "../jobs/lease";
import { currentBaseline, filterStatusFor, saveBaseline } from "../services/filter-checks";
import {
  authorizeRemediation,
  findOu,
  listRemediations,
  planHash,
  previewRemediation,
  requestRemediation,
} from "../services/remediations";
import type { StaffPrincipal } from "../services/staff-accounts";
import { orUndefined } from "../store/values";

const hidden = "(hidden: only staff who may change policy see it)";

/** Enrollment tokens ride in managed configuration: readers who cannot change policy see them hidden. */
function redacted(baseline: Baseline): Baseline {
  return {
    ...baseline,
    rules: baseline.rules.map((rule) => ({
      ...rule,
      apps: rule.apps.map((app) =>
        app.managedConfiguration && "enrollmentToken" in app.managedConfiguration
          ? { ...app, managedConfiguration: { ...app.managedConfiguration, enrollmentToken: { Value: hidden } } }
          : app,
      ),
    })),
  };
}

/**
 * TechDesk as a force-installed, pinned extension for `school`, configured as the managed schema
 * expects (`{ key: { Value } }`): the agent's address and the enrollment token for that school.
 */
export function techdeskApp(config: AgentConfig, school: string, agentUrl: string): BaselineApp {
  const tokens = config.enrollmentTokens;
  // The nearest school's token: `/Schools/Lincoln High` before `/Schools`, whatever order they were given in.
  const nearest = tokens
    .filter((t) => t.school && schoolWithin(school, t.school))
    .sort((a, b) => normalSchool(b.school ?? "").length - normalSchool(a.school ?? "").length)[0];
  const token = nearest ?? tokens.find((t) => !t.school);
  if (!token)
    throw new ApiError(
      409,
      "conflict",
      `No enrollment token is configured for ${school}: add one to ENROLLMENT_TOKENS as ${school}=<token>.`,
    );
  return {
    appId: `chrome:${config.extensionIds[0]}`,
    name: "TechDesk",
    installType: "FORCED_AND_PIN_TO_TOOLBAR",
    managedConfiguration: { agentUrl: { Value: agentUrl }, enrollmentToken: { Value: token.token } },
  };
}

/** The baseline with `app` declared at `ouPath` (its rule made, or its entry for that app replaced). */
export function withApp(baseline: Baseline, ouPath: string, app: BaselineApp): Baseline {
  const existing = baseline.rules.find((rule) => rule.ou === ouPath);
  const rules = existing
    ? baseline.rules.map((rule) =>
        rule === existing ? { ...rule, apps: [...rule.apps.filter((a) => a.appId !== app.appId), app] } : rule,
      )
    : [...baseline.rules, { ou: ouPath, policies: {}, apps: [app] }];
  return { ...baseline, rules };
}

export function filterRoutes(deps: AgentDeps) {
  /**
   * Declares an app at an OU and pushes it: without `planHash` the dry run (the writes the OU's
   * apps need once it is declared); with the dry run's `planHash`, the baseline's next version
   * declares it (so the reconcile keeps it there) and the writes are queued.
   */
  async function pushApp(
    staff: StaffPrincipal,
    ouPath: string,
    appFor: (ouPath: string) => BaselineApp,
    reviewed: string | undefined,
    requestId: string,
  ) {
    authorizeRemediation(staff, "apps", ouPath);
    const g = google();
    const ou = await findOu(g.directory, ouPath);
    const { baseline } = await currentBaseline(deps.db);
    const app = appFor(ou.path);
    const proposed = withApp(baseline, ou.path, app);
    const plan = await planRestore(g.policy, ou, proposed, "apps");
    const preview = { ouPath: ou.path, app, writes: plan.writes, planHash: planHash(plan.writes) };
    if (!reviewed) return preview;
    if (reviewed !== preview.planHash)
      throw new ApiError(409, "conflict", `Policy at ${ou.path} changed since your dry run. Review the new one.`);
    const context = { requestId, now: deps.now() };
    const saved = await saveBaseline(deps.db, staff, proposed, context);
    const remediation = plan.writes.length
      ? await requestRemediation(deps.db, g, staff, { kind: "apps", ouPath: ou.path }, context)
      : undefined;
    deps.remediations?.kick();
    return { ...preview, baselineVersion: saved.version, remediation };
  }

  const session = requireSession(deps);
  const google = () => {
    if (!deps.google) throw new ApiError(503, "internal", "This agent has no Google connection.");
    return { directory: directoryAdapter(deps.google.client), policy: policyAdapter(deps.google.client) };
  };
  const jobs = () => {
    if (!deps.jobs?.jobs.some((j) => j.name === "filter-audit"))
      throw new ApiError(503, "internal", "Filter checks are not running in this agent.");
    return deps.jobs;
  };
  const requireRead = (grants: Parameters<typeof holdsAnywhere>[0]) => {
    if (!holdsAnywhere(grants, "filter.audit.read"))
      throw new ApiError(403, "forbidden", "Your role does not include filter integrity.");
  };
  async function running() {
    if (deps.jobs?.isRunningHere("filter-audit")) return true;
    return (await leaseHolder(deps.db, "filter-audit", deps.now())) !== undefined;
  }
  const agentUrl = (requestUrl: string) => deps.config.publicUrl ?? new URL(requestUrl).origin;

  return new Hono<AgentEnv>()
    .get("/api/filter", session, async (c) => {
      const staff = c.get("staff");
      requireRead(staff.grants);
      const [{ baseline }, ous, lastRun, isRunning, remediations] = await Promise.all([
        currentBaseline(deps.db),
        filterStatusFor(deps.db, staff),
        deps.db
          .selectFrom("jobRuns")
          .selectAll()
          .where("job", "=", "filter-audit")
          .orderBy("id", "desc")
          .limit(1)
          .executeTakeFirst(),
        running(),
        listRemediations(deps.db, staff),
      ]);
      return c.json({
        baselineVersion: baseline.version,
        running: isRunning,
        verdict: filterVerdict({
          ous,
          running: isRunning,
          lastCheck: lastRun && { status: lastRun.status, error: orUndefined(lastRun.error) },
        }),
        lastCheck: lastRun
          ? {
              status: lastRun.status,
              startedAt: lastRun.startedAt,
              finishedAt: orUndefined(lastRun.finishedAt),
              error: orUndefined(lastRun.error),
              detail: JSON.parse(lastRun.detail) as Record<string, unknown>,
            }
          : undefined,
        ous,
        canRun: holdsAnywhere(staff.grants, "filter.audit.run"),
        canChangePolicy: holdsAnywhere(staff.grants, "policy.write"),
        canPushApps: holdsAnywhere(staff.grants, "app.push"),
        canEditBaseline: isAllowed(staff.grants, "policy.write", null),
        devices: await deviceCompliance(deps.db, baseline, (ou) => isAllowed(staff.grants, "filter.audit.read", ou)),
        queue: {
          remediations: remediations.slice(0, 50),
          writesWaiting: deps.google?.client.policyWritesWaiting ?? 0,
        },
      });
    })
    .post("/api/filter/checks", session, requireJson, async (c) => {
      if (!holdsAnywhere(c.get("staff").grants, "filter.audit.run"))
        throw new ApiError(403, "forbidden", "Your role does not include running filter checks.");
      const runner = jobs();
      if (await running())
        throw new ApiError(409, "conflict", "A filter check is running now; its progress shows here.");
      void runner
        .run("filter-audit", "manual")
        .catch((error) => deps.log.error("filter check failed", { error: String(error) }));
      return c.json({ started: true }, 202);
    })
    .get("/api/filter/history", session, async (c) => {
      const staff = c.get("staff");
      requireRead(staff.grants);
      const query = parseQuery(c, filterHistoryQuery);
      let select = deps.db.selectFrom("filterHistory").selectAll().orderBy("id", "desc").limit(query.limit);
      if (query.ou) select = select.where("ouPath", "=", query.ou);
      const rows = await select.execute();
      return c.json({
        history: rows
          .filter((row) => isAllowed(staff.grants, "filter.audit.read", row.ouPath === "/" ? null : row.ouPath))
          .map((row) => ({
            ou: row.ouPath,
            rule: row.rule,
            label: row.label,
            status: row.status,
            expected: row.expected === null ? undefined : (JSON.parse(row.expected) as unknown),
            actual: row.actual === null ? undefined : (JSON.parse(row.actual) as unknown),
            setBy: orUndefined(row.setBy),
            firstSeen: row.firstSeen,
            resolvedAt: orUndefined(row.resolvedAt),
            ticketNumber: orUndefined(row.ticketNumber),
          })),
      });
    })
    .get("/api/filter/baseline", session, async (c) => {
      const staff = c.get("staff");
      requireRead(staff.grants);
      const current = await currentBaseline(deps.db);
      const versions = await deps.db
        .selectFrom("baselines")
        .select(["version", "savedByName", "savedAt"])
        .orderBy("version", "desc")
        .limit(20)
        .execute();
      return c.json({
        baseline: holdsAnywhere(staff.grants, "policy.write") ? current.baseline : redacted(current.baseline),
        savedBy: current.savedBy,
        savedAt: current.savedAt,
        canEdit: isAllowed(staff.grants, "policy.write", null),
        versions: versions.map((v) => ({ version: v.version, savedBy: v.savedByName, savedAt: v.savedAt })),
      });
    })
    .post("/api/filter/baseline", session, requireJson, async (c) => {
      const staff = c.get("staff");
      if (!isAllowed(staff.grants, "policy.write", null))
        throw new ApiError(403, "forbidden", "Only district-wide policy administrators may change the baseline.");
      const body = (await c.req.json().catch(() => {
        throw new ApiError(400, "invalid_body", "The body is not JSON.");
      })) as Record<string, unknown>;
      // The version is ours to give: whatever the editor sent, the saved one is the next.
      const saved = await saveBaseline(
        deps.db,
        staff,
        { ...body, version: 1 },
        {
          requestId: c.get("requestId"),
          now: deps.now(),
        },
      );
      return c.json({ baseline: saved }, 201);
    })
    .post("/api/filter/restores/preview", session, requireJson, async (c) => {
      const input = await parseBody(c, remediationPreviewRequest);
      return c.json(await previewRemediation(deps.db, google(), c.get("staff"), input));
    })
    .post("/api/filter/restores", session, requireJson, async (c) => {
      const input = await parseBody(c, remediationRequest);
      const remediation = await requestRemediation(deps.db, google(), c.get("staff"), input, {
        requestId: c.get("requestId"),
        now: deps.now(),
      });
      deps.remediations?.kick();
      return c.json({ remediation }, 202);
    })
    .get("/api/filter/restores", session, async (c) => {
      const staff = c.get("staff");
      requireRead(staff.grants);
      return c.json({
        remediations: await listRemediations(deps.db, staff),
        writesWaiting: deps.google?.client.policyWritesWaiting ?? 0,
      });
    })
    .post("/api/filter/apps", session, requireJson, async (c) => {
      const input = await parseBody(c, appPushRequest);
      const answer = await pushApp(c.get("staff"), input.ouPath, () => input.app, input.planHash, c.get("requestId"));
      return c.json(answer, "remediation" in answer ? 202 : 200);
    })
    .post("/api/filter/apps/techdesk", session, requireJson, async (c) => {
      const input = await parseBody(c, techdeskPushRequest);
      const url = agentUrl(c.req.url);
      const answer = await pushApp(
        c.get("staff"),
        input.school,
        (ouPath) => techdeskApp(deps.config, ouPath, url),
        input.planHash,
        c.get("requestId"),
      );
      return c.json({ ...answer, school: input.school, agentUrl: url }, "remediation" in answer ? 202 : 200);
    });
}
