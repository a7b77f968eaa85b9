/**
 * Filter integrity checks: the baseline's versions, recording what an audit found (the latest
 * verdict per OU and rule, and the history of every drift), tickets that open on new drift or a
 * required setting left unset, for the school's IT lead, and close themselves when all of it holds
 * again, and the dashboard's view.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { type Kysely, sql } from "kysely";
import { type Baseline, baseline as baselineSchema, baselineToSave, type Finding, isAllowed } from "../../shared";
import { ApiError } from "../errors";
import type { AuditedOu } from "../filter/audit";
import { ancestorsOf, type MissingAt, missingKey, missingOwner } from "../filter/missing";
import { projectRoot } from "../root";
import { appendAudit } from "../store/audit";
import { sqliteHandle } from "../store/db";
import type { Database } from "../store/schema";
import * as tickets from "../store/tickets";
import { orUndefined } from "../store/values";
import { notify } from "./notifications";
import type { StaffPrincipal } from "./staff-accounts";

const checker = { id: null, name: "TechDesk filter check" } as const;
/** PostgreSQL advisory lock key held while a check is recorded. */
const filterRecordLock = 7_201_001;

/** The K-12 baseline TechDesk ships: version 1 until someone saves their own. */
export function shippedBaseline(): Baseline {
  const file = path.join(projectRoot, "agent", "filter", "k12-baseline.json");
  return baselineSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

export async function currentBaseline(
  db: Kysely<Database>,
): Promise<{ baseline: Baseline; savedBy: string; savedAt?: string }> {
  const row = await db.selectFrom("baselines").selectAll().orderBy("version", "desc").limit(1).executeTakeFirst();
  if (!row) return { baseline: shippedBaseline(), savedBy: "TechDesk (K-12 default)" };
  return { baseline: baselineSchema.parse(JSON.parse(row.content)), savedBy: row.savedByName, savedAt: row.savedAt };
}

/** Saves a new version (one more than the latest, whatever the body says) and audits it. */
export async function saveBaseline(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  content: unknown,
  context: { requestId?: string; now: Date },
): Promise<Baseline> {
  const parsed = baselineToSave.safeParse(content);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(
      400,
      "invalid_body",
      `The baseline is not valid: ${issue?.path.join(".") || "(baseline)"} ${issue?.message}`,
    );
  }
  const at = context.now.toISOString();
  return db.transaction().execute(async (trx) => {
    const latest = await trx
      .selectFrom("baselines")
      .select("version")
      .orderBy("version", "desc")
      .limit(1)
      .executeTakeFirst();
    const before = latest ? undefined : shippedBaseline();
    const version = Math.max(latest?.version ?? before?.version ?? 0, 0) + 1;
    const saved: Baseline = { ...parsed.data, version };
    await trx
      .insertInto("baselines")
      .values({ version, content: JSON.stringify(saved), savedByName: staff.user.displayName, savedAt: at })
      .execute();
    await appendAudit(trx, {
      at,
      actorId: staff.user.id,
      actorName: staff.user.displayName,
      action: "filter.baseline.saved",
      reason: `Baseline version ${version}`,
      requestId: context.requestId,
      before: { version: version - 1 },
      after: { version, sha256: createHash("sha256").update(JSON.stringify(saved)).digest("hex") },
    });
    return saved;
  });
}

const systemEnrollment = "techdesk-system";

/** Tickets TechDesk opens itself hang off one system enrollment, each with a report of its own. */
async function openSystemTicket(
  trx: Kysely<Database>,
  input: { school: string; note: string; at: string },
): Promise<number> {
  await trx
    .insertInto("deviceEnrollments")
    .values({
      id: systemEnrollment,
      directoryDeviceId: null,
      serialNumber: null,
      assetId: null,
      // A hash of nothing anyone holds: no device can sign in as TechDesk.
      credentialHash: createHash("sha256").update(randomUUID()).digest("hex"),
      extensionVersion: null,
      school: null,
      enrolledAt: input.at,
      lastSeenAt: input.at,
    })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
  const reportId = randomUUID();
  await tickets.insertReport(trx, {
    id: reportId,
    enrollmentId: systemEnrollment,
    idempotencyKey: reportId,
    category: "other",
    note: input.note,
    screenshot: null,
    diagnostics: JSON.stringify({ warnings: [] }),
    clientTime: input.at,
    receivedAt: input.at,
  });
  const ticket = await tickets.insertTicket(trx, {
    reportId,
    enrollmentId: systemEnrollment,
    status: "open",
    queue: "school_it",
    tier: 2,
    category: "other",
    note: input.note,
    serialNumber: null,
    directoryDeviceId: null,
    userEmail: null,
    school: input.school,
    assetId: null,
    assigneeId: null,
    createdAt: input.at,
    updatedAt: input.at,
  });
  await tickets.insertTicketEvent(trx, {
    ticketNumber: ticket.number,
    kind: "created",
    actorId: null,
    actorName: checker.name,
    detail: JSON.stringify({ category: "other", queue: "school_it", tier: 2 }),
    createdAt: input.at,
  });
  return ticket.number;
}

/** A problem without a ticket yet, and the OU whose setting must change (`owner`). */
interface Unticketed {
  ouPath: string;
  rule: string;
  line: string;
  drift: boolean;
  owner: string;
}

async function pointAt(trx: Kysely<Database>, problems: Unticketed[], ticketNumber: number): Promise<void> {
  for (const problem of problems) {
    await trx
      .updateTable("filterState")
      .set({ ticketNumber })
      .where("ouPath", "=", problem.ouPath)
      .where("rule", "=", problem.rule)
      .execute();
    await trx
      .updateTable("filterHistory")
      .set({ ticketNumber })
      .where("ouPath", "=", problem.ouPath)
      .where("rule", "=", problem.rule)
      .where("resolvedAt", "is", null)
      .execute();
  }
}

/** A ticket's lines: each problem once, with the OUs below its owner where it is in effect (or also unset). */
function ticketLines(owner: string, problems: Unticketed[]): string {
  const ousOf = new Map<string, { drift: boolean; ous: string[] }>();
  for (const p of problems) ousOf.set(p.line, { drift: p.drift, ous: [...(ousOf.get(p.line)?.ous ?? []), p.ouPath] });
  return [...ousOf]
    .map(([line, { drift, ous }]) => {
      const below = ous.filter((ou) => ou !== owner);
      const shown = below.slice(0, 20).join(", ") + (below.length > 20 ? ` and ${below.length - 20} more` : "");
      return `• ${line}${below.length ? `; ${drift ? "in effect" : "also not set"} at ${shown}` : ""}`;
    })
    .join("\n");
}

/**
 * The ticket already open for a problem whose owner is an OU above it: inherited drift's is held by an
 * OU drifting with the value set at the owner; a missing setting's by the owner's own verdict.
 */
function ownersTicket(trx: Kysely<Database>, problem: Unticketed) {
  const query = trx
    .selectFrom("filterState")
    .innerJoin("tickets", "tickets.number", "filterState.ticketNumber")
    .select("filterState.ticketNumber")
    .where("filterState.rule", "=", problem.rule)
    // One someone resolved is closed for new problems: they get a ticket of their own.
    .where("tickets.status", "not in", ["resolved", "closed"]);
  return (
    problem.drift
      ? query.where("filterState.status", "=", "drift").where("filterState.setBy", "=", problem.owner)
      : query.where("filterState.status", "=", "missing").where("filterState.ouPath", "=", problem.owner)
  )
    .limit(1)
    .executeTakeFirst();
}

/**
 * Where rules are missing in the OU tree a check walked: its own verdicts and, for a partial check
 * (one OU again after a restore), the stored verdicts of the OUs above it, so a recheck finds the
 * same owner a full check did.
 */
async function missingTree(trx: Kysely<Database>, audited: AuditedOu[], partial: boolean): Promise<MissingAt> {
  const missing = new Map<string, string | null>();
  for (const ou of audited)
    for (const check of ou.checks)
      if (check.status === "missing") missing.set(missingKey(ou.ouPath, check.rule), json(check.expected));
  const checked = new Set(audited.map((ou) => ou.ouPath));
  const above = [...new Set(audited.flatMap((ou) => ancestorsOf(ou.ouPath)))].filter((p) => !checked.has(p));
  if (partial && above.length) {
    const stored = await trx
      .selectFrom("filterState")
      .select(["ouPath", "rule", "expected"])
      .where("status", "=", "missing")
      .where("ouPath", "in", above)
      .execute();
    for (const row of stored) missing.set(missingKey(row.ouPath, row.rule), row.expected);
  }
  return missing;
}

/**
 * Tickets for problems that have none: one per OU whose settings must change, so drift set at the
 * root is one ticket at the root, not one per OU below it (GOOGLE-APIS.md: sourceKey ≠ targetKey
 * means inherited), and so is a setting missing from the root down. Such a problem joins a ticket
 * already open for it at its owner.
 */
async function ticketProblems(
  trx: Kysely<Database>,
  problems: Unticketed[],
  at: string,
  summary: CheckSummary,
): Promise<void> {
  const byOwner = new Map<string, Unticketed[]>();
  for (const p of problems) byOwner.set(p.owner, [...(byOwner.get(p.owner) ?? []), p]);
  for (const [owner, group] of byOwner) {
    const fresh: Unticketed[] = [];
    for (const problem of group) {
      const existing = problem.owner === problem.ouPath ? undefined : await ownersTicket(trx, problem);
      if (existing?.ticketNumber) await pointAt(trx, [problem], existing.ticketNumber);
      else fresh.push(problem);
    }
    if (!fresh.length) continue;
    const number = await openSystemTicket(trx, {
      school: owner,
      note: `Filter settings at ${owner} differ from the baseline:\n${ticketLines(owner, fresh)}`,
      at,
    });
    summary.ticketsOpened.push(number);
    await pointAt(trx, fresh, number);
    const drifted = new Set(fresh.filter((p) => p.drift).map((p) => p.rule)).size;
    const unset = new Set(fresh.filter((p) => !p.drift).map((p) => p.rule)).size;
    await notify(trx, {
      permission: "policy.write",
      school: owner,
      title: drifted ? `Filter drift at ${owner}` : `Filter settings missing at ${owner}`,
      body: `${[
        drifted ? `${drifted} setting${drifted === 1 ? "" : "s"} weakened or changed` : "",
        unset ? `${unset} setting${unset === 1 ? "" : "s"} the baseline requires not set` : "",
      ]
        .filter(Boolean)
        .join(", ")}. Ticket #${number}.`,
      link: `#/tickets/${number}`,
      at,
    });
  }
}

export interface CheckSummary {
  ous: number;
  pass: number;
  drift: number;
  missing: number;
  newProblems: number;
  resolved: number;
  ticketsOpened: number[];
  ticketsClosed: number[];
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** One line of a ticket: what the baseline wants, and what is there (or that nothing is). */
function problemLine(check: AuditedOu["checks"][number]): string {
  const expected = `${check.label}: expected ${JSON.stringify(check.expected)}`;
  return check.status === "missing"
    ? `${expected}, not set at this OU or any OU above it`
    : `${expected}, found ${JSON.stringify(check.actual)} (set at ${check.setBy ?? "?"})`;
}

/**
 * Records one audit: each OU and rule's verdict, the history of problems (opened when a rule stops
 * passing, closed when it passes again), a ticket per OU that must change for new problems (a setting
 * that drifted, ticketed where it is set, or one the baseline requires that nothing sets, ticketed at
 * the highest OU missing it: both leave a gap in filtering), and closing tickets
 * whose problems are all gone. Rules the baseline no longer has are closed too (in the audited OUs only, for a
 * partial check).
 */
export async function recordCheck(
  db: Kysely<Database>,
  audited: AuditedOu[],
  baselineVersion: number,
  now: Date,
  options: { partial?: boolean } = {},
): Promise<CheckSummary> {
  const at = now.toISOString();
  const summary: CheckSummary = {
    ous: audited.length,
    pass: 0,
    drift: 0,
    missing: 0,
    newProblems: 0,
    resolved: 0,
    ticketsOpened: [],
    ticketsClosed: [],
  };
  await db.transaction().execute(async (trx) => {
    // One recording at a time (SQLite has one writer anyway): the hourly check and a restore's recheck
    // must not each record over what the other just read.
    if (!sqliteHandle(trx)) await sql`select pg_advisory_xact_lock(${filterRecordLock})`.execute(trx);
    // A partial check (one OU, after a remediation) leaves the other OUs' verdicts alone.
    let previousQuery = trx.selectFrom("filterState").selectAll();
    if (options.partial) {
      const paths = audited.map((ou) => ou.ouPath);
      previousQuery = previousQuery.where("ouPath", "in", paths.length ? paths : [""]);
    }
    const previous = await previousQuery.execute();
    const before = new Map(previous.map((p) => [`${p.ouPath}\n${p.rule}`, p]));
    const missing = await missingTree(trx, audited, options.partial === true);
    const seen = new Set<string>();
    const touchedTickets = new Set<number>();
    const unticketed: Unticketed[] = [];
    // An OU read since this check read it (a restore's recheck while the hourly check walked the
    // district) keeps that newer verdict: recording the older one would reopen fixed drift. A verdict's
    // `lastChecked` is when its policies were read, so the order the two are recorded in does not matter.
    const readAt = new Map(audited.map((ou) => [ou.ouPath, ou.readAt]));
    const newer = new Set(
      previous.filter((p) => p.lastChecked > (readAt.get(p.ouPath) ?? p.lastChecked)).map((p) => p.ouPath),
    );
    for (const old of previous) if (newer.has(old.ouPath)) seen.add(`${old.ouPath}\n${old.rule}`);
    summary.ous -= newer.size;
    for (const ou of audited) {
      if (newer.has(ou.ouPath)) continue;
      for (const check of ou.checks) {
        const key = `${ou.ouPath}\n${check.rule}`;
        seen.add(key);
        summary[check.status] += 1;
        const old = before.get(key);
        const changed = !old || old.status !== check.status;
        const failing = check.status !== "pass";
        let ticketNumber = old?.ticketNumber ?? null;
        if (changed && old && old.status !== "pass") {
          await trx
            .updateTable("filterHistory")
            .set({ resolvedAt: at })
            .where("ouPath", "=", ou.ouPath)
            .where("rule", "=", check.rule)
            .where("resolvedAt", "is", null)
            .execute();
          // Drift that becomes unset (or the reverse) is still not the baseline: its ticket stands.
          if (!failing) {
            summary.resolved += 1;
            if (ticketNumber) touchedTickets.add(ticketNumber);
            ticketNumber = null;
          }
        }
        if (changed && failing) {
          if (!old || old.status === "pass") summary.newProblems += 1;
          await trx
            .insertInto("filterHistory")
            .values({
              ouPath: ou.ouPath,
              rule: check.rule,
              label: check.label,
              status: check.status,
              expected: json(check.expected),
              actual: json(check.actual),
              setBy: check.setBy ?? null,
              firstSeen: at,
              resolvedAt: null,
              ticketNumber,
            })
            .execute();
        }
        // Every setting not as the baseline wants has a ticket: one that has none gets one now.
        if (failing && !ticketNumber)
          unticketed.push({
            ouPath: ou.ouPath,
            rule: check.rule,
            line: problemLine(check),
            drift: check.status === "drift",
            // Drift inherited from a parent (Google's sourceKey is not this OU) is the parent's to fix;
            // a setting missing here and above is the highest such OU's to set.
            owner:
              check.status === "drift" && check.setBy
                ? check.setBy
                : check.status === "missing"
                  ? missingOwner(missing, ou.ouPath, check.rule)
                  : ou.ouPath,
          });
        const row = {
          ouPath: ou.ouPath,
          rule: check.rule,
          ouId: ou.ouId,
          label: check.label,
          status: check.status,
          expected: json(check.expected),
          actual: json(check.actual),
          setBy: check.setBy ?? null,
          since: changed ? at : (old?.since ?? at),
          lastChecked: ou.readAt,
          baselineVersion,
          ticketNumber,
        };
        if (old)
          await trx
            .updateTable("filterState")
            .set(row)
            .where("ouPath", "=", ou.ouPath)
            .where("rule", "=", check.rule)
            .execute();
        else await trx.insertInto("filterState").values(row).execute();
      }
    }
    await ticketProblems(trx, unticketed, at, summary);
    // Rules no longer checked (the baseline changed): their problems end here.
    for (const [key, old] of before) {
      if (seen.has(key)) continue;
      await trx.deleteFrom("filterState").where("ouPath", "=", old.ouPath).where("rule", "=", old.rule).execute();
      await trx
        .updateTable("filterHistory")
        .set({ resolvedAt: at })
        .where("ouPath", "=", old.ouPath)
        .where("rule", "=", old.rule)
        .where("resolvedAt", "is", null)
        .execute();
      if (old.ticketNumber) touchedTickets.add(old.ticketNumber);
    }
    // A ticket whose drift is all gone closes itself.
    for (const number of touchedTickets) {
      const open = await trx
        .selectFrom("filterState")
        .select("rule")
        .where("ticketNumber", "=", number)
        .limit(1)
        .execute();
      if (open.length) continue;
      const ticket = await tickets.findTicket(trx, number);
      if (!ticket || ticket.status === "resolved" || ticket.status === "closed") continue;
      await trx
        .updateTable("tickets")
        .set({ status: "resolved", updatedAt: at })
        .where("number", "=", number)
        .execute();
      await tickets.insertTicketEvent(trx, {
        ticketNumber: number,
        kind: "resolved",
        actorId: null,
        actorName: checker.name,
        detail: JSON.stringify({
          resolution:
            "The filter check found these settings as the baseline wants them (or the baseline no longer checks them).",
        }),
        createdAt: at,
      });
      summary.ticketsClosed.push(number);
    }
  });
  return summary;
}

export interface OuFilterStatus {
  ouPath: string;
  pass: number;
  drift: number;
  missing: number;
  problems: Finding[];
}

/** The dashboard: every audited OU the person may read, with its problems (passes only counted). */
export async function filterStatusFor(db: Kysely<Database>, staff: StaffPrincipal): Promise<OuFilterStatus[]> {
  const rows = await db.selectFrom("filterState").selectAll().orderBy("ouPath").orderBy("rule").execute();
  const byOu = new Map<string, OuFilterStatus>();
  for (const row of rows) {
    if (!isAllowed(staff.grants, "filter.audit.read", row.ouPath === "/" ? null : row.ouPath)) continue;
    const ou = byOu.get(row.ouPath) ?? { ouPath: row.ouPath, pass: 0, drift: 0, missing: 0, problems: [] };
    ou[row.status as "pass" | "drift" | "missing"] += 1;
    if (row.status !== "pass")
      ou.problems.push({
        ou: row.ouPath,
        rule: row.rule,
        label: row.label,
        status: row.status as Finding["status"],
        expected: row.expected === null ? undefined : (JSON.parse(row.expected) as unknown),
        actual: row.actual === null ? undefined : (JSON.parse(row.actual) as unknown),
        setBy: orUndefined(row.setBy),
        firstSeen: row.since,
        lastSeen: row.lastChecked,
        ticketNumber: orUndefined(row.ticketNumber),
      });
    byOu.set(row.ouPath, ou);
  }
  return [...byOu.values()];
}
