/**
 * The console's ticket queries: filters, search and keyset paging, always inside the schools the
 * signed-in person may read. Same SQL on SQLite and PostgreSQL.
 */
import { type ExpressionBuilder, type Kysely, type SelectQueryBuilder, sql } from "kysely";
import { type ConsoleTicketQuery, normalSchool } from "../../shared";
import type { Database } from "./schema";
import { containsPattern } from "./values";

/** Where someone may read: everywhere, or these schools (OU paths) and the OUs under them. */
export type SchoolScope = { all: true } | { all: false; schools: string[] };

type TicketQuery = SelectQueryBuilder<Database & { assignee: Database["staffUsers"] }, "tickets" | "assignee", object>;

/** A condition on an OU-path column: inside these schools (an OU path and every OU under it). */
const schoolColumns = {
  tickets: "tickets.school",
  devices: "devices.orgUnitPath",
  auditLog: "auditLog.school",
  notifications: "notifications.school",
} as const;

export function withinSchools<T extends keyof typeof schoolColumns>(
  scope: SchoolScope,
  column: (typeof schoolColumns)[T],
) {
  return (eb: ExpressionBuilder<Database, T>) => {
    if (scope.all) return sql<boolean>`1 = 1`;
    if (!scope.schools.length) return sql<boolean>`1 = 0`;
    const ref = sql.ref(column);
    return eb.or(
      scope.schools.flatMap((school) => {
        const path = normalSchool(school);
        const prefix = path === "/" ? "/" : `${path}/`;
        return [sql<boolean>`${ref} = ${path}`, sql<boolean>`substr(${ref}, 1, ${prefix.length}) = ${prefix}`];
      }),
    );
  };
}

function applyFilters(q: TicketQuery, query: ConsoleTicketQuery, scope: SchoolScope, now: Date): TicketQuery {
  let out = q.where(withinSchools<"tickets">(scope, "tickets.school"));
  if (query.school)
    out = out.where(withinSchools<"tickets">({ all: false, schools: [query.school] }, "tickets.school"));
  if (query.queue) out = out.where("tickets.queue", "=", query.queue);
  if (query.tier) out = out.where("tickets.tier", "=", query.tier);
  if (query.status) out = out.where("tickets.status", "=", query.status);
  if (query.category) out = out.where("tickets.category", "=", query.category);
  if (query.olderThanDays !== undefined) {
    out = out.where(
      "tickets.createdAt",
      "<=",
      new Date(now.getTime() - query.olderThanDays * 86_400_000).toISOString(),
    );
  }
  const text = query.q?.replace(/^#/, "").trim();
  if (text) {
    const pattern = containsPattern(text.toLowerCase());
    out = out.where((eb) =>
      eb.or([
        ...(/^\d+$/.test(text) && Number(text) <= 2_147_483_647 ? [eb("tickets.number", "=", Number(text))] : []),
        eb(eb.fn("upper", ["tickets.serialNumber"]), "=", text.toUpperCase()),
        eb(eb.fn("upper", ["tickets.assetId"]), "=", text.toUpperCase()),
        sql<boolean>`lower(tickets.user_email) like ${pattern} escape '\\'`,
      ]),
    );
  }
  return out;
}

export interface TicketCursor {
  number: number;
  updatedAt?: string;
}

export function encodeCursor(cursor: TicketCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

export function decodeCursor(value: string): TicketCursor | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(value, "base64url").toString()) as TicketCursor;
    return Number.isInteger(parsed.number) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function base(db: Kysely<Database>): TicketQuery {
  return db
    .selectFrom("tickets")
    .leftJoin("staffUsers as assignee", "assignee.id", "tickets.assigneeId") as TicketQuery;
}

export async function searchTickets(
  db: Kysely<Database>,
  query: ConsoleTicketQuery,
  scope: SchoolScope,
  cursor: TicketCursor | undefined,
  now: Date,
) {
  let page = applyFilters(base(db), query, scope, now)
    .selectAll("tickets")
    .select("assignee.displayName as assigneeName");
  if (query.sort === "oldest") {
    page = page.orderBy("tickets.number", "asc");
    if (cursor) page = page.where("tickets.number", ">", cursor.number);
  } else if (query.sort === "updated") {
    page = page.orderBy("tickets.updatedAt", "desc").orderBy("tickets.number", "desc");
    const at = cursor?.updatedAt;
    if (cursor && at) {
      page = page.where((eb) =>
        eb.or([
          eb("tickets.updatedAt", "<", at),
          eb.and([eb("tickets.updatedAt", "=", at), eb("tickets.number", "<", cursor.number)]),
        ]),
      );
    }
  } else {
    page = page.orderBy("tickets.number", "desc");
    if (cursor) page = page.where("tickets.number", "<", cursor.number);
  }
  const [rows, count] = await Promise.all([
    page.limit(query.limit + 1).execute(),
    applyFilters(base(db), query, scope, now)
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

/** The schools that have tickets within `scope`, for the queue's school filter. */
export async function ticketSchools(db: Kysely<Database>, scope: SchoolScope): Promise<string[]> {
  const rows = await db
    .selectFrom("tickets")
    .select("tickets.school")
    .distinct()
    .where(withinSchools<"tickets">(scope, "tickets.school"))
    .where("tickets.school", "is not", null)
    .orderBy("tickets.school")
    .execute();
  return rows.map((r) => r.school as string);
}
