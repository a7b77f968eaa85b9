/**
 * Filter integrity checks: the baseline's versions, recording what an audit found (the latest
 * verdict per OU and rule, and the history of every drift), tickets that open on new drift for the
 * school's IT lead and close themselves when the drift is gone, and the dashboard's view.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Kysely } from "kysely";
import { type Baseline, baseline as baselineSchema, type Finding, isAllowed } from "../../shared";
import { ApiError } from "../errors";
import type { AuditedOu } from "../filter/audit";
import { projectRoot } from "../root";
import { appendAudit } from "../store/audit";
import type { Database } from "../store/schema";
import * as tickets from "../store/tickets";
import { orUndefined } from "../store/values";
import { notify } from "./device-actions";
import type { StaffPrincipal } from "./staff-accounts";

const checker = { id: null, name: "TechDesk filter check" } as const;

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
  const parsed = baselineSchema.safeParse(content);
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

/**
 * Records one audit: each OU and rule's verdict, the history of problems (opened when a rule stops
 * passing, closed when it passes again), a ticket per OU with new drift, and closing tickets whose
 * drift is all gone. Rules the baseline no longer has are closed too (in the audited OUs only, for a
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
    // A partial check (one OU, after a remediation) leaves the other OUs' verdicts alone.
    let previousQuery = trx.selectFrom("filterState").selectAll();
    if (options.partial) {
      const paths = audited.map((ou) => ou.ouPath);
      previousQuery = previousQuery.where("ouPath", "in", paths.length ? paths : [""]);
    }
    const previous = await previousQuery.execute();
    const before = new Map(previous.map((p) => [`${p.ouPath}\n${p.rule}`, p]));
    const seen = new Set<string>();
    const touchedTickets = new Set<number>();
    for (const ou of audited) {
      const newDrift: string[] = [];
      const newDriftRules: string[] = [];
      for (const check of ou.checks) {
        const key = `${ou.ouPath}\n${check.rule}`;
        seen.add(key);
        summary[check.status] += 1;
        const old = before.get(key);
        const changed = !old || old.status !== check.status;
        let ticketNumber = old?.ticketNumber ?? null;
        if (changed && old && old.status !== "pass") {
          await trx
            .updateTable("filterHistory")
            .set({ resolvedAt: at })
            .where("ouPath", "=", ou.ouPath)
            .where("rule", "=", check.rule)
            .where("resolvedAt", "is", null)
            .execute();
          if (check.status === "pass") summary.resolved += 1;
          if (ticketNumber) touchedTickets.add(ticketNumber);
          ticketNumber = null;
        }
        if (changed && check.status !== "pass") {
          summary.newProblems += 1;
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
              ticketNumber: null,
            })
            .execute();
          if (check.status === "drift") {
            newDrift.push(
              `${check.label}: expected ${JSON.stringify(check.expected)}, found ${JSON.stringify(check.actual)} (set at ${check.setBy ?? "?"})`,
            );
            newDriftRules.push(check.rule);
          }
        }
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
          lastChecked: at,
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
      if (newDrift.length) {
        const number = await openSystemTicket(trx, {
          school: ou.ouPath,
          note: `Filter settings at ${ou.ouPath} differ from the baseline:\n${newDrift.map((d) => `• ${d}`).join("\n")}`,
          at,
        });
        summary.ticketsOpened.push(number);
        await trx
          .updateTable("filterState")
          .set({ ticketNumber: number })
          .where("ouPath", "=", ou.ouPath)
          .where("rule", "in", newDriftRules)
          .execute();
        await trx
          .updateTable("filterHistory")
          .set({ ticketNumber: number })
          .where("ouPath", "=", ou.ouPath)
          .where("rule", "in", newDriftRules)
          .where("resolvedAt", "is", null)
          .execute();
        await notify(trx, {
          permission: "policy.write",
          school: ou.ouPath,
          title: `Filter drift at ${ou.ouPath}`,
          body: `${newDrift.length} setting${newDrift.length === 1 ? "" : "s"} weakened or changed. Ticket #${number}.`,
          link: `#/tickets/${number}`,
          at,
        });
      }
    }
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
          resolution: "The filter check found these settings back as the baseline wants them.",
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
