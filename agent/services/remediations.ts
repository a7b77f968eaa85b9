/**
 * Putting filter policy right: the dry run an IT lead reviews, the request that queues exactly
 * what they reviewed, and the worker that writes it to Google. Writes go out through
 * `orgunits:batchModify` whole values grouped by namespace; the Google client paces them under 30
 * a minute per customer, so a burst waits in its queue instead of being refused. Writes are
 * idempotent (they set values, and lists are merged again with what Google holds at each attempt),
 * so a remediation whose worker died is simply applied again.
 * Every remediation is audited when requested and when it ends, in the transaction that records it.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { isAllowed } from "../../shared";
import { ApiError } from "../errors";
import { auditOus, type OrgUnitRef, orgUnitsOf } from "../filter/audit";
import {
  oversizedList,
  type PlannedWrite,
  planRestore,
  type RemediationKind,
  refreshLists,
  toPolicyWrites,
} from "../filter/remediation";
import type { DirectoryAdapter } from "../google/directory";
import type { PolicyAdapter } from "../google/policy";
import type { Logger } from "../log";
import { appendAudit } from "../store/audit";
import type { Database, RemediationTable } from "../store/schema";
import { orUndefined } from "../store/values";
import { ClaimingWorker, type ClaimingWorkerOptions, isTransient } from "./claiming-worker";
import { currentBaseline, recordCheck } from "./filter-checks";
import type { StaffPrincipal } from "./staff-accounts";

export interface FilterGoogle {
  directory: DirectoryAdapter;
  policy: PolicyAdapter;
}

type RemediationRow = Selectable<RemediationTable>;

const permissionFor = { restore: "policy.write", apps: "app.push" } as const;
const actionName = { restore: "filter.restore", apps: "app.push" } as const;
/** How often due work is looked for, how long a claim lasts, and the backoff, unless told otherwise. */
const pacing = { pollMs: 5000, claimMs: 10 * 60_000, backoffMs: 30_000, maxBackoffMs: 15 * 60_000 };

/** The OU at `path`, with its id, or a 404 in words. */
export async function findOu(directory: DirectoryAdapter, path: string): Promise<OrgUnitRef> {
  const ou = (await orgUnitsOf(directory)).find((unit) => unit.path === path);
  if (!ou) throw new ApiError(404, "not_found", `Google has no organizational unit ${path}.`);
  return ou;
}

export function authorizeRemediation(staff: StaffPrincipal, kind: RemediationKind, ouPath: string): void {
  if (!isAllowed(staff.grants, permissionFor[kind], ouPath === "/" ? null : ouPath))
    throw new ApiError(
      403,
      "forbidden",
      kind === "restore"
        ? `Your role does not allow changing policy at ${ouPath}.`
        : `Your role does not allow pushing apps at ${ouPath}.`,
    );
}

/** A stable fingerprint of a plan's writes: the request must carry the one the person reviewed. */
export function planHash(writes: PlannedWrite[]): string {
  return createHash("sha256").update(JSON.stringify(writes)).digest("hex").slice(0, 16);
}

export interface RemediationPreview {
  kind: RemediationKind;
  ouPath: string;
  ouId: string;
  baselineVersion: number;
  writes: PlannedWrite[];
  planHash: string;
  problems: number;
}

export async function previewRemediation(
  db: Kysely<Database>,
  google: FilterGoogle,
  staff: StaffPrincipal,
  input: { kind: RemediationKind; ouPath: string },
): Promise<RemediationPreview> {
  authorizeRemediation(staff, input.kind, input.ouPath);
  return planFor(db, google, input);
}

/** The dry run itself, for whoever may ask (a person, checked above, or the scheduled reconcile). */
async function planFor(
  db: Kysely<Database>,
  google: FilterGoogle,
  input: { kind: RemediationKind; ouPath: string },
): Promise<RemediationPreview> {
  const ou = await findOu(google.directory, input.ouPath);
  const { baseline } = await currentBaseline(db);
  const plan = await planRestore(google.policy, ou, baseline, input.kind);
  const tooLong = oversizedList(ou.path, plan.writes);
  if (tooLong) throw new ApiError(409, "conflict", tooLong);
  return {
    kind: input.kind,
    ouPath: ou.path,
    ouId: ou.id,
    baselineVersion: baseline.version,
    writes: plan.writes,
    planHash: planHash(plan.writes),
    problems: plan.checks.filter((c) => c.status !== "pass").length,
  };
}

export interface Remediation {
  id: string;
  kind: RemediationKind;
  ouPath: string;
  state: "queued" | "applying" | "applied" | "failed";
  writes: PlannedWrite[];
  requestedBy: string;
  createdAt: string;
  nextAttemptAt?: string;
  attempts: number;
  finishedAt?: string;
  error?: string;
  googleCalls?: number;
}

export function toRemediation(row: RemediationRow): Remediation {
  const answer = row.googleAnswer ? (JSON.parse(row.googleAnswer) as { calls?: number }) : undefined;
  return {
    id: row.id,
    kind: row.kind as RemediationKind,
    ouPath: row.ouPath,
    state: row.state as Remediation["state"],
    writes: JSON.parse(row.changes) as PlannedWrite[],
    requestedBy: row.requestedByName,
    createdAt: row.createdAt,
    nextAttemptAt: row.state === "queued" ? row.nextAttemptAt : undefined,
    attempts: row.attempts,
    finishedAt: orUndefined(row.finishedAt),
    error: orUndefined(row.error),
    googleCalls: answer?.calls,
  };
}

/**
 * Queues exactly the writes the person reviewed: the plan is made again here, and if policy changed
 * since the dry run (its fingerprint differs) the request is refused so they can review the new one.
 */
export async function requestRemediation(
  db: Kysely<Database>,
  google: FilterGoogle,
  staff: StaffPrincipal | { system: string },
  input: { kind: RemediationKind; ouPath: string; planHash?: string },
  context: { requestId?: string; now: Date },
): Promise<Remediation> {
  // The scheduled reconcile acts on the baseline without a person: no permission to check.
  const preview =
    "user" in staff ? await previewRemediation(db, google, staff, input) : await planFor(db, google, input);
  if (input.planHash !== undefined && input.planHash !== preview.planHash)
    throw new ApiError(
      409,
      "conflict",
      `Policy at ${input.ouPath} changed since your dry run. Review the new dry run before applying it.`,
    );
  if (!preview.writes.length)
    throw new ApiError(409, "conflict", `${input.ouPath} already matches the baseline: there is nothing to write.`);
  const at = context.now.toISOString();
  const actor =
    "user" in staff ? { id: staff.user.id, name: staff.user.displayName } : { id: null, name: staff.system };
  return db.transaction().execute(async (trx) => {
    const open = await trx
      .selectFrom("remediations")
      .select("id")
      .where("ouPath", "=", preview.ouPath)
      .where("kind", "=", input.kind)
      .where("state", "in", ["queued", "applying"])
      .executeTakeFirst();
    if (open)
      throw new ApiError(
        409,
        "conflict",
        `A ${input.kind === "apps" ? "push" : "restore"} of ${preview.ouPath} is already queued.`,
      );
    const row = {
      id: randomUUID(),
      kind: input.kind,
      ouPath: preview.ouPath,
      ouId: preview.ouId,
      state: "queued",
      changes: JSON.stringify(preview.writes),
      requestedById: actor.id,
      requestedByName: actor.name,
      createdAt: at,
      nextAttemptAt: at,
      claimedBy: null,
      claimedUntil: null,
      googleAnswer: null,
      finishedAt: null,
      error: null,
    };
    await trx.insertInto("remediations").values(row).execute();
    await appendAudit(trx, {
      at,
      actorId: actor.id,
      actorName: actor.name,
      action: `${actionName[input.kind]}.requested`,
      school: preview.ouPath,
      reason: `${preview.writes.length} change${preview.writes.length === 1 ? "" : "s"} at ${preview.ouPath} (baseline version ${preview.baselineVersion})`,
      requestId: context.requestId,
      before: Object.fromEntries(preview.writes.map((w) => [w.label, w.current])),
      after: Object.fromEntries(preview.writes.map((w) => [w.label, w.value])),
    });
    return toRemediation({ ...row, attempts: 0 });
  });
}

/** The queue and recent history, for the OUs the person may read; queued ones first, oldest first. */
export async function listRemediations(db: Kysely<Database>, staff: StaffPrincipal): Promise<Remediation[]> {
  const rows = await db.selectFrom("remediations").selectAll().orderBy("createdAt", "desc").limit(200).execute();
  const order = { applying: 0, queued: 1, failed: 2, applied: 3 } as Record<string, number>;
  return rows
    .filter((row) => isAllowed(staff.grants, "filter.audit.read", row.ouPath === "/" ? null : row.ouPath))
    .sort((a, b) =>
      a.state === b.state
        ? a.state === "queued"
          ? a.createdAt.localeCompare(b.createdAt)
          : b.createdAt.localeCompare(a.createdAt)
        : (order[a.state] ?? 9) - (order[b.state] ?? 9),
    )
    .map(toRemediation);
}

export type RemediationWorkerOptions = ClaimingWorkerOptions;

/**
 * Applies queued remediations one at a time (Google's write quota is per customer, so more at once
 * would only queue in the client), then checks the OU again so the dashboard shows the result.
 */
export class RemediationWorker extends ClaimingWorker {
  constructor(
    readonly db: Kysely<Database>,
    readonly google: FilterGoogle,
    log: Logger,
    options: RemediationWorkerOptions = {},
  ) {
    super(log, options, { holderPrefix: "remediation", name: "remediation worker", ...pacing });
  }

  /** Until nothing is queued or applying, or `timeoutMs` passes: for tests and shutdown. */
  drain(timeoutMs = 120_000): Promise<boolean> {
    const noneOpen = async () => {
      const open = await this.db
        .selectFrom("remediations")
        .select("id")
        .where("state", "in", ["queued", "applying"])
        .limit(1)
        .execute();
      return !open.length;
    };
    return this.drainUntil(noneOpen, timeoutMs, 100);
  }

  /** Applies every due remediation, one after another; answers how many ended. */
  override async tick(): Promise<number> {
    let ended = 0;
    for (;;) {
      const claimed = await this.#claim();
      if (!claimed) return ended;
      if (await this.#apply(claimed)) ended += 1;
    }
  }

  async #claim(): Promise<RemediationRow | undefined> {
    const now = this.now();
    const at = now.toISOString();
    // A worker that died while applying left its claim: the writes are idempotent, so queue it again.
    await this.db
      .updateTable("remediations")
      .set({ state: "queued", claimedBy: null, claimedUntil: null })
      .where("state", "=", "applying")
      .where("claimedUntil", "<", at)
      .execute();
    const due = await this.db
      .selectFrom("remediations")
      .select("id")
      .where("state", "=", "queued")
      .where("nextAttemptAt", "<=", at)
      .orderBy("createdAt")
      .limit(1)
      .executeTakeFirst();
    if (!due) return undefined;
    const token = this.claimToken();
    await this.db
      .updateTable("remediations")
      .set((eb) => ({
        state: "applying",
        claimedBy: token,
        claimedUntil: this.claimEnd(now),
        attempts: eb("attempts", "+", 1),
      }))
      .where("id", "=", due.id)
      .where("state", "=", "queued")
      .execute();
    // Another replica may have won the row; then there is nothing of ours to apply this round.
    return this.db.selectFrom("remediations").selectAll().where("claimedBy", "=", token).executeTakeFirst();
  }

  /** Writes one remediation; answers whether it ended (applied or failed) rather than parked. */
  async #apply(row: RemediationRow): Promise<boolean> {
    let writes = JSON.parse(row.changes) as PlannedWrite[];
    let calls: number;
    try {
      // Lists go out whole: merge them with what Google holds now, on every attempt.
      writes = await refreshLists(this.google.policy, row.ouId, writes);
      // Entries added meanwhile can take a merged list past Google's limit: refuse it here, unsent.
      const tooLong = oversizedList(row.ouPath, writes);
      if (tooLong) throw new Error(tooLong);
      calls = await this.google.policy.modify(await toPolicyWrites(this.google.policy, row.ouId, writes));
    } catch (error) {
      return this.#failed(row, writes, error);
    }
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable("remediations")
        .set({
          state: "applied",
          finishedAt: at,
          googleAnswer: JSON.stringify({ calls }),
          error: null,
          claimedUntil: null,
        })
        .where("id", "=", row.id)
        .where("claimedBy", "=", row.claimedBy)
        .executeTakeFirst();
      if (!updated.numUpdatedRows) return;
      for (const write of writes)
        await appendAudit(trx, {
          at,
          actorId: row.requestedById,
          actorName: row.requestedByName,
          action: `${actionName[row.kind as RemediationKind]}.applied`,
          school: row.ouPath,
          reason: `${write.label} at ${row.ouPath}`,
          before: write.current,
          after: write.value,
          google: { method: "policies.orgunits.batchModify", policySchema: write.policySchema, calls },
        });
    });
    this.log.info("remediation applied", { id: row.id, ou: row.ouPath, writes: writes.length, calls });
    await this.#recheck(row.ouPath).catch((error) =>
      this.log.warn("re-checking after a remediation failed", { ou: row.ouPath, error: String(error) }),
    );
    return true;
  }

  /** Google is failing (park it with backoff) or refused (fail it, audited, with Google's words). */
  async #failed(row: RemediationRow, writes: PlannedWrite[], error: unknown): Promise<boolean> {
    const message = error instanceof Error ? error.message : String(error);
    const now = this.now();
    if (isTransient(error)) {
      await this.db
        .updateTable("remediations")
        .set({
          state: "queued",
          claimedBy: null,
          claimedUntil: null,
          nextAttemptAt: this.retryAt(error, row.attempts, now).toISOString(),
          error: message,
        })
        .where("id", "=", row.id)
        .where("claimedBy", "=", row.claimedBy)
        .execute();
      this.log.warn("Google is failing; remediation parked", { id: row.id, error: message });
      return false;
    }
    const at = now.toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("remediations")
        .set({ state: "failed", finishedAt: at, error: message, claimedUntil: null })
        .where("id", "=", row.id)
        .where("claimedBy", "=", row.claimedBy)
        .execute();
      await appendAudit(trx, {
        at,
        actorId: row.requestedById,
        actorName: row.requestedByName,
        action: `${actionName[row.kind as RemediationKind]}.failed`,
        school: row.ouPath,
        reason: `${writes.length} change${writes.length === 1 ? "" : "s"} at ${row.ouPath}`,
        google: { error: message },
      });
    });
    this.log.error("remediation failed", { id: row.id, ou: row.ouPath, error: message });
    return true;
  }

  /** Checks the OU again, so the dashboard (and any drift ticket) reflects what was written. */
  async #recheck(ouPath: string): Promise<void> {
    const units = await orgUnitsOf(this.google.directory);
    const { baseline } = await currentBaseline(this.db);
    const audited = await auditOus(this.google.policy, units, baseline, { only: new Set([ouPath]), now: this.now });
    await recordCheck(this.db, audited, baseline.version, this.now(), { partial: true });
  }
}
