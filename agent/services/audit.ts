/** The Audit page: entries within the person's schools, filtered, newest first, and as CSV. */
import type { Kysely } from "kysely";
import type { AuditEntry, AuditQuery } from "../../shared";
import type { AuditLogRow, Database } from "../store/schema";
import { type SchoolScope, withinSchools } from "../store/ticket-desk";
import { orUndefined } from "../store/values";

function parsed(text: string | null): unknown {
  return text === null ? undefined : (JSON.parse(text) as unknown);
}

export function toAuditEntry(row: AuditLogRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actorName: row.actorName,
    action: row.action,
    deviceId: orUndefined(row.deviceId),
    serialNumber: orUndefined(row.serialNumber),
    school: orUndefined(row.school),
    reason: orUndefined(row.reason),
    requestId: orUndefined(row.requestId),
    before: parsed(row.before),
    after: parsed(row.after),
    google: parsed(row.google),
    hash: row.hash,
  };
}

/** A date (2026-11-24) or a full timestamp; a bare `to` date includes that whole day. */
function bound(value: string, end: boolean): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return end ? `${value}T23:59:59.999Z` : `${value}T00:00:00.000Z`;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

export async function searchAudit(
  db: Kysely<Database>,
  scope: SchoolScope,
  query: AuditQuery,
): Promise<{ entries: AuditEntry[]; nextBefore?: number }> {
  let q = db.selectFrom("auditLog").selectAll();
  // Entries about no school (district-wide) are for district-wide readers only.
  if (!scope.all) q = q.where(withinSchools<"auditLog">(scope, "auditLog.school"));
  if (query.action) q = q.where("action", "like", `${query.action.replace(/[%_\\]/g, "")}%`);
  if (query.actor)
    q = q.where((eb) =>
      eb(eb.fn("lower", ["actorName"]), "like", `%${query.actor?.toLowerCase().replace(/[%_\\]/g, "")}%`),
    );
  if (query.device)
    q = q.where((eb) =>
      eb.or([
        eb("deviceId", "=", query.device as string),
        eb(eb.fn("upper", ["serialNumber"]), "=", (query.device as string).toUpperCase()),
      ]),
    );
  if (query.from) q = q.where("at", ">=", bound(query.from, false));
  if (query.to) q = q.where("at", "<=", bound(query.to, true));
  if (query.before) q = q.where("seq", "<", query.before);
  const rows = await q
    .orderBy("seq", "desc")
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  return {
    entries: page.map(toAuditEntry),
    nextBefore: rows.length > query.limit ? page.at(-1)?.seq : undefined,
  };
}

const csvColumns = [
  "seq",
  "at",
  "actorName",
  "action",
  "deviceId",
  "serialNumber",
  "school",
  "reason",
  "requestId",
  "before",
  "after",
  "google",
  "hash",
] as const;

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  let text = typeof value === "string" ? value : typeof value === "number" ? String(value) : JSON.stringify(value);
  // A cell that a spreadsheet would run as a formula is kept as text.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Every matching entry as CSV, a page at a time (newest first). */
export async function* auditCsv(db: Kysely<Database>, scope: SchoolScope, query: AuditQuery): AsyncGenerator<string> {
  yield `${csvColumns.join(",")}\r\n`;
  let before = query.before;
  for (;;) {
    const page = await searchAudit(db, scope, { ...query, before, limit: 500 });
    if (page.entries.length)
      yield page.entries.map((e) => `${csvColumns.map((c) => csvCell(e[c])).join(",")}\r\n`).join("");
    if (!page.nextBefore) return;
    before = page.nextBefore;
  }
}
