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

/** A system timeline entry, known by its actor's name and its kind. */
export interface SystemEntry {
  actorName: string;
  kind: string;
}

/**
 * The entries that start a ticket's quiet stretch anew: what a person did to it (an entry with
 * someone's id; the device and TechDesk have none), and `restart`, a system entry that counts too.
 */
function workEvents(eb: ExpressionBuilder<Database, "tickets">, restart?: SystemEntry) {
  return eb
    .selectFrom("ticketEvents as work")
    .whereRef("work.ticketNumber", "=", "tickets.number")
    .where((inner) =>
      restart
        ? inner.or([
            inner("work.actorId", "is not", null),
            inner.and([
              inner("work.actorId", "is", null),
              inner("work.actorName", "=", restart.actorName),
              inner("work.kind", "=", restart.kind),
            ]),
          ])
        : inner("work.actorId", "is not", null),
    );
}

export interface QuietTicketQuery {
  queues: readonly string[];
  /** Filed at or before this time, and no one has worked it since. */
  quietSince: string;
  /** A system entry that starts the quiet stretch anew, as a person's would. */
  restartedBy?: SystemEntry;
  /**
   * A system note that is not work but starts the wait for the next one: leaves out tickets with
   * such a note since `quietSince`, and answers how many each has had in its quiet stretch (`notes`).
   */
  notedBy?: SystemEntry;
  /** Keyset paging: tickets numbered above this. */
  after: number;
  limit: number;
}

/** A ticket's timeline entries that are the system note `entry`. */
function systemNotes(eb: ExpressionBuilder<Database, "tickets">, entry: SystemEntry) {
  return eb
    .selectFrom("ticketEvents as note")
    .whereRef("note.ticketNumber", "=", "tickets.number")
    .where("note.actorId", "is", null)
    .where("note.actorName", "=", entry.actorName)
    .where("note.kind", "=", entry.kind);
}

/**
 * Open tickets in these queues (never with district repair or a vendor, tier 3 and up) that no one
 * has worked since `quietSince`, lowest number first, each with when its quiet stretch began (its
 * last work, or its filing) and how many `notedBy` notes it has had since. Same SQL on SQLite and
 * PostgreSQL.
 */
export function quietTickets(db: Kysely<Database>, query: QuietTicketQuery) {
  const { restartedBy, notedBy } = query;
  let q = db
    .selectFrom("tickets")
    .leftJoin("staffUsers as assignee", "assignee.id", "tickets.assigneeId")
    .selectAll("tickets")
    .select("assignee.displayName as assigneeName")
    .select((eb) =>
      workEvents(eb, restartedBy)
        .select((inner) => inner.fn.max("work.createdAt").as("at"))
        .as("lastWorkedAt"),
    )
    .select((eb) =>
      notedBy
        ? systemNotes(eb, notedBy)
            .select((inner) => inner.fn.countAll<number | string>().as("n"))
            // Ids only grow: a note after the ticket's last work belongs to this quiet stretch.
            .where(
              "note.id",
              ">",
              eb.fn.coalesce(
                workEvents(eb, restartedBy).select((inner) => inner.fn.max("work.id").as("id")),
                eb.lit(0),
              ),
            )
            .as("notes")
        : sql<number>`0`.as("notes"),
    )
    .where("tickets.status", "in", ["open", "in_progress", "waiting"])
    .where("tickets.queue", "in", [...query.queues])
    .where("tickets.tier", "<", 3)
    .where("tickets.createdAt", "<=", query.quietSince)
    .where((eb) =>
      eb.not(eb.exists(workEvents(eb, restartedBy).select("work.id").where("work.createdAt", ">", query.quietSince))),
    )
    .where("tickets.number", ">", query.after);
  if (notedBy)
    q = q.where((eb) =>
      eb.not(eb.exists(systemNotes(eb, notedBy).select("note.id").where("note.createdAt", ">", query.quietSince))),
    );
  return q.orderBy("tickets.number").limit(query.limit).execute();
}
