/**
 * The overnight lockdown: devices still marked missing and loaners overdue past the grace period
 * are disabled before morning, and each school's IT lead is told what was done.
 */
import type { Kysely } from "kysely";
import type { AgentConfig } from "../config";
import type { ActionWorker } from "../services/action-worker";
import { type NewAction, recordActions, systemActor } from "../services/device-actions";
import { overdueLoanerReason } from "../services/loans";
import { notify } from "../services/notifications";
import type { Database } from "../store/schema";
import type { JobDefinition } from "./runner";

export interface LockdownResult {
  missing: number;
  overdueLoans: number;
  requested: number;
  confirmed: number;
  failed: number;
  pending: number;
  devices: { serialNumber?: string; why: string; state: string; error?: string }[];
}

/**
 * Who the lockdown would disable now: missing devices and overdue loaners not yet disabled, each
 * device once. A device with two open loans (possible before migration 0011) was listed twice, its
 * disable asked for twice in one batch, and that failed the whole night's lockdown.
 */
export async function lockdownCandidates(db: Kysely<Database>, now: Date, graceHours: number) {
  const missing = await db
    .selectFrom("missingDevices")
    .innerJoin("devices", "devices.deviceId", "missingDevices.deviceId")
    .selectAll("devices")
    .select(["missingDevices.reason as missingReason", "missingDevices.ticketNumber"])
    .where("devices.removedAt", "is", null)
    .where("devices.status", "=", "ACTIVE")
    .execute();
  const overdueBefore = new Date(now.getTime() - graceHours * 3_600_000).toISOString();
  const overdueLoans = await db
    .selectFrom("loans")
    .innerJoin("devices", "devices.deviceId", "loans.deviceId")
    .selectAll("devices")
    .select(["loans.userEmail as borrower", "loans.dueAt"])
    .where("loans.returnedAt", "is", null)
    .where("loans.dueAt", "<", overdueBefore)
    .where("devices.removedAt", "is", null)
    .where("devices.status", "=", "ACTIVE")
    .orderBy("loans.dueAt")
    .orderBy("loans.id")
    .execute();
  // The loan most overdue speaks for its device.
  const seen = new Set<string>();
  const overdue = overdueLoans.filter((d) => !seen.has(d.deviceId) && seen.add(d.deviceId));
  return { missing, overdue };
}

/** `work`'s answer, or `signal`'s reason as soon as it aborts (the work itself goes on). */
function unlessStopped<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    if (signal.aborted) return stop();
    signal.addEventListener("abort", stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
  });
}

/**
 * A run told to stop (`signal`) stops before it records the disables, or while it waits for them:
 * the disables it recorded stay queued for the action worker, and it tells the schools only of those
 * that have ended. The run that took over finds the devices still to disable with these disables
 * open, waits for them too and reports them.
 */
export async function runLockdown(
  db: Kysely<Database>,
  worker: ActionWorker,
  options: {
    now: () => Date;
    graceHours: number;
    progress?: (detail: Record<string, unknown>) => Promise<void>;
    signal?: AbortSignal;
  },
): Promise<LockdownResult> {
  const { missing, overdue } = await lockdownCandidates(db, options.now(), options.graceHours);
  options.signal?.throwIfAborted();
  const actions: NewAction[] = [
    ...missing.map((d) => ({
      device: d,
      kind: "disable" as const,
      reason: `Still missing at lockdown: ${d.missingReason}`,
      ticketNumber: d.ticketNumber ?? undefined,
    })),
    ...overdue
      .filter((d) => !missing.some((m) => m.deviceId === d.deviceId))
      .map((d) => ({
        device: d,
        kind: "disable" as const,
        reason: overdueLoanerReason(d.borrower, d.dueAt),
      })),
  ];
  const recorded = actions.length ? await recordActions(db, systemActor, actions, { now: options.now() }) : [];
  await options.progress?.({ missing: missing.length, overdueLoans: overdue.length, requested: recorded.length });
  const ids = recorded.map((a) => a.id);
  // Stopped while it waits, it still tells the schools of the disables that ended meanwhile: the run
  // that takes over finds only the devices still active, and would never tell of those.
  let stopped: { reason: unknown } | undefined;
  if (ids.length)
    await unlessStopped(worker.drain(10 * 60_000, ids), options.signal).catch((reason: unknown) => {
      if (!options.signal?.aborted) throw reason;
      stopped = { reason };
    });
  const read = ids.length ? await db.selectFrom("deviceActions").selectAll().where("id", "in", ids).execute() : [];
  const ended = stopped ? read.filter((a) => a.state === "confirmed" || a.state === "failed") : read;
  const result: LockdownResult = {
    missing: missing.length,
    overdueLoans: overdue.length,
    requested: ended.length,
    confirmed: ended.filter((a) => a.state === "confirmed").length,
    failed: ended.filter((a) => a.state === "failed").length,
    pending: ended.filter((a) => a.state === "requested" || a.state === "sent").length,
    devices: ended.map((a) => ({
      serialNumber: a.serialNumber ?? undefined,
      why: a.reason,
      state: a.state,
      error: a.error ?? undefined,
    })),
  };
  // One notification per school: what the lockdown did there.
  const bySchool = new Map<string, typeof ended>();
  for (const action of ended)
    bySchool.set(action.school ?? "*", [...(bySchool.get(action.school ?? "*") ?? []), action]);
  const at = options.now().toISOString();
  for (const [school, list] of bySchool) {
    const done = list.filter((a) => a.state === "confirmed").length;
    const problems = list.length - done;
    await notify(db, {
      permission: "device.disable",
      school: school === "*" ? null : school,
      title: `Overnight lockdown disabled ${done} device${done === 1 ? "" : "s"}`,
      body: `${list.map((a) => a.serialNumber ?? a.deviceId).join(", ")}${problems ? ` — ${problems} not yet done (see the Lost & stolen page)` : ""}.`,
      link: "#/lost",
      at,
    });
  }
  if (stopped) throw stopped.reason;
  return result;
}

export function lockdownJob(
  config: AgentConfig,
  db: Kysely<Database>,
  worker: ActionWorker,
  now: () => Date,
): JobDefinition {
  return {
    name: "overnight-lockdown",
    title: "Overnight lockdown",
    description: `Disables devices still marked missing, and loaners overdue by more than ${config.jobs.loanerGraceHours} hours, and tells each school's IT lead.`,
    schedule: config.jobs.lockdownCron,
    timezone: config.jobs.timezone,
    leaseMs: 5 * 60_000,
    async run({ progress, signal }) {
      const result = await runLockdown(db, worker, {
        now,
        graceHours: config.jobs.loanerGraceHours,
        progress,
        signal,
      });
      return { ...result };
    },
  };
}
