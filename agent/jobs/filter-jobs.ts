/**
 * The filter integrity jobs: the hourly check of every OU against the baseline (drift history,
 * tickets, notifications), and the app reconcile that queues the writes bringing each OU's
 * force-installed apps and extensions back to what the baseline declares — its dry run is the run's
 * record, and the remediation worker applies it under the write quota.
 */
import type { Kysely } from "kysely";
import type { AgentConfig } from "../config";
import { ApiError } from "../errors";
import { auditOus, orgUnitsOf } from "../filter/audit";
import { expectationsFor } from "../filter/baseline";
import { planRestore } from "../filter/remediation";
import { type CheckSummary, currentBaseline, recordCheck } from "../services/filter-checks";
import { type FilterGoogle, type RemediationWorker, requestRemediation } from "../services/remediations";
import type { Database } from "../store/schema";
import type { JobDefinition } from "./runner";

type Progress = (detail: Record<string, unknown>) => Promise<void>;

/** Reports progress about twenty times over a walk, not once per OU. */
function throttled(progress: Progress | undefined) {
  let shown = 0;
  return (done: number, total: number) => {
    if (done !== total && done - shown < Math.max(1, Math.floor(total / 20))) return;
    shown = done;
    void progress?.({ ousDone: done, ousTotal: total }).catch(() => {});
  };
}

/** A run told to stop (`signal`) stops before it records what it read: the walk itself only reads. */
export async function runFilterCheck(
  db: Kysely<Database>,
  google: FilterGoogle,
  options: { now: () => Date; progress?: Progress; signal?: AbortSignal },
): Promise<CheckSummary & { baselineVersion: number }> {
  const { baseline } = await currentBaseline(db);
  const units = await orgUnitsOf(google.directory);
  const audited = await auditOus(google.policy, units, baseline, {
    onOu: throttled(options.progress),
    now: options.now,
  });
  options.signal?.throwIfAborted();
  const summary = await recordCheck(db, audited, baseline.version, options.now());
  return { ...summary, baselineVersion: baseline.version };
}

export interface ReconcileResult {
  ous: number;
  queued: { ouPath: string; changes: string[] }[];
  alreadyQueued: string[];
  inStep: number;
}

/**
 * Diffs each OU's apps against the baseline and queues what differs (the dry run is the result). A
 * run told to stop (`signal`) stops before its next OU; what it queued stays queued.
 */
export async function reconcileApps(
  db: Kysely<Database>,
  google: FilterGoogle,
  options: { now: () => Date; progress?: Progress; signal?: AbortSignal },
): Promise<ReconcileResult> {
  const { baseline } = await currentBaseline(db);
  const units = await orgUnitsOf(google.directory);
  // An OU only needs its own write when it declares apps itself; descendants inherit them.
  const declaring = new Set(baseline.rules.filter((rule) => rule.apps.length).map((rule) => rule.ou));
  const targets = units.filter((unit) => declaring.has(unit.path) && expectationsFor(baseline, unit.path).apps.size);
  const result: ReconcileResult = { ous: targets.length, queued: [], alreadyQueued: [], inStep: 0 };
  const progress = throttled(options.progress);
  let done = 0;
  for (const ou of targets) {
    options.signal?.throwIfAborted();
    const plan = await planRestore(google.policy, ou, baseline, "apps");
    if (!plan.writes.length) result.inStep += 1;
    else
      try {
        await requestRemediation(
          db,
          google,
          { system: "TechDesk app reconcile" },
          { kind: "apps", ouPath: ou.path },
          { now: options.now() },
        );
        result.queued.push({ ouPath: ou.path, changes: plan.writes.map((w) => w.label) });
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 409)) throw error;
        result.alreadyQueued.push(ou.path);
      }
    progress(++done, targets.length);
  }
  return result;
}

export function filterJobs(
  config: AgentConfig,
  google: FilterGoogle,
  worker: RemediationWorker,
  now: () => Date,
): JobDefinition[] {
  return [
    {
      name: "filter-audit",
      title: "Filter integrity check",
      description:
        "Resolves every OU's filter policies in Google and compares them with the baseline; new drift opens a ticket for the school's IT lead, drift that is gone closes it.",
      schedule: config.jobs.filterAuditCron,
      timezone: config.jobs.timezone,
      leaseMs: 2 * 60_000,
      async run({ db, progress, signal }) {
        const summary = await runFilterCheck(db, google, { now, progress, signal });
        return { ...summary };
      },
    },
    {
      name: "app-reconcile",
      title: "App push: reconcile",
      description:
        "Compares the apps and extensions each OU must force-install with Google's policy and queues the writes that differ (shown here first), applied under the write quota.",
      schedule: config.jobs.appReconcileCron,
      timezone: config.jobs.timezone,
      leaseMs: 2 * 60_000,
      async run({ db, progress, signal }) {
        const result = await reconcileApps(db, google, { now, progress, signal });
        if (result.queued.length) worker.kick();
        return { ...result };
      },
    },
  ];
}
