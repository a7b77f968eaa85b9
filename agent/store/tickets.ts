/** Reports, tickets and idempotency records. Queries are the same on SQLite and PostgreSQL. */
import type { Insertable, Kysely, Transaction } from "kysely";
import type { StaffTicketQuery } from "../../shared";
import type { Database, IdempotencyRecordTable, ReportTable, TicketEventTable, TicketRow, TicketTable } from "./schema";

type Db = Kysely<Database> | Transaction<Database>;

export function findIdempotencyRecord(db: Db, enrollmentId: string, idempotencyKey: string) {
  return db
    .selectFrom("idempotencyRecords")
    .selectAll()
    .where("enrollmentId", "=", enrollmentId)
    .where("idempotencyKey", "=", idempotencyKey)
    .executeTakeFirst();
}

export async function insertReport(db: Db, report: Insertable<ReportTable>): Promise<void> {
  await db.insertInto("reports").values(report).execute();
}

export async function insertTicket(db: Db, ticket: Insertable<TicketTable>): Promise<TicketRow> {
  return db.insertInto("tickets").values(ticket).returningAll().executeTakeFirstOrThrow();
}

export async function insertIdempotencyRecord(db: Db, record: Insertable<IdempotencyRecordTable>): Promise<void> {
  await db.insertInto("idempotencyRecords").values(record).execute();
}

export function findTicket(db: Db, number: number): Promise<TicketRow | undefined> {
  return db.selectFrom("tickets").selectAll().where("number", "=", number).executeTakeFirst();
}

export function listTicketsForEnrollment(db: Db, enrollmentId: string, limit = 20): Promise<TicketRow[]> {
  return db
    .selectFrom("tickets")
    .selectAll()
    .where("enrollmentId", "=", enrollmentId)
    .orderBy("number", "desc")
    .limit(limit)
    .execute();
}

/** Newest first, keyset-paged by ticket number so deep pages stay as fast as the first. */
export function listTickets(db: Db, query: StaffTicketQuery): Promise<TicketRow[]> {
  let q = db
    .selectFrom("tickets")
    .selectAll()
    .orderBy("number", "desc")
    .limit(query.limit + 1);
  if (query.status) q = q.where("status", "=", query.status);
  if (query.queue) q = q.where("queue", "=", query.queue);
  if (query.category) q = q.where("category", "=", query.category);
  if (query.cursor) q = q.where("number", "<", Number(query.cursor));
  return q.execute();
}

export function findTicketWithReport(db: Db, number: number) {
  return db
    .selectFrom("tickets")
    .innerJoin("reports", "reports.id", "tickets.reportId")
    .selectAll("tickets")
    .select([
      "reports.diagnostics",
      "reports.clientTime",
      "reports.receivedAt",
      (eb) => eb("reports.screenshot", "is not", null).as("hasScreenshot"),
    ])
    .where("tickets.number", "=", number)
    .executeTakeFirst();
}

export async function insertTicketEvent(db: Db, event: Insertable<TicketEventTable>): Promise<void> {
  await db.insertInto("ticketEvents").values(event).execute();
}

export function listTicketEvents(db: Db, ticketNumber: number) {
  return db
    .selectFrom("ticketEvents")
    .selectAll()
    .where("ticketNumber", "=", ticketNumber)
    .orderBy("id", "asc")
    .execute();
}
