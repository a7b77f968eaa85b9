/**
 * Filing a report: report, ticket and idempotency record are written in one transaction, and a
 * retried idempotency key answers with the ticket it filed the first time.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { DiagnosticsSnapshot, ProblemReport, StaffTicketDetail, StaffTicketSummary, Ticket } from "../../shared";
import { ApiError } from "../errors";
import { isUniqueViolation } from "../store/db";
import type { Database, DeviceEnrollment, TicketRow } from "../store/schema";
import * as tickets from "../store/tickets";
import { orUndefined } from "../store/values";
import { markMissing } from "./device-actions";
import { verifiedDevice } from "./devices";
import { placeNewTicket } from "./routing";

export interface FiledReport {
  ticket: Ticket;
  /** True when the key was seen before and this answer repeats the first one. */
  replayed: boolean;
}

export function toTicket(row: TicketRow): Ticket {
  return {
    number: row.number,
    status: row.status as Ticket["status"],
    queue: row.queue as Ticket["queue"],
    tier: row.tier,
    category: row.category as Ticket["category"],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toStaffSummary(row: TicketRow): StaffTicketSummary {
  return {
    ...toTicket(row),
    note: orUndefined(row.note),
    serialNumber: orUndefined(row.serialNumber),
    directoryDeviceId: orUndefined(row.directoryDeviceId),
    userEmail: orUndefined(row.userEmail),
  };
}

function hashReport(report: ProblemReport): string {
  return createHash("sha256").update(JSON.stringify(report)).digest("hex");
}

async function replay(
  db: Kysely<Database>,
  enrollmentId: string,
  report: ProblemReport,
): Promise<FiledReport | undefined> {
  const record = await tickets.findIdempotencyRecord(db, enrollmentId, report.idempotencyKey);
  if (!record) return undefined;
  if (record.requestHash !== hashReport(report)) {
    throw new ApiError(422, "idempotency_key_reused", "This Idempotency-Key was already used for a different report.");
  }
  const row = await tickets.findTicket(db, record.ticketNumber);
  if (!row) throw new Error(`Idempotency record points at missing ticket ${record.ticketNumber}`);
  return { ticket: toTicket(row), replayed: true };
}

/**
 * Who a device-filed record names as its actor: the device, never the person it says is signed in
 * (any client holding the public enrollment token can send any email).
 */
function reportActorName(serialNumber: string | null): string {
  return serialNumber ? `Report from Chromebook ${serialNumber}` : "Report from an enrolled device";
}

/** The reason a device-filed change records; the claimed user is kept as the device's word, inside it. */
function reportReason(report: ProblemReport, fallback: string): string {
  const email = report.diagnostics.user?.email;
  return `${report.note || fallback}${email ? ` (signed-in user as the device reports it: ${email})` : ""}`;
}

/**
 * An enrollment made while the device could not read its own attributes (the enterprise API slow or
 * empty at that moment) takes them from its next report that carries them, once: what it already has
 * is never replaced. Without this it would stay without Google's id for good, its compliance outside
 * any school and its lost reports never verified. A report's attributes are the same claim an
 * enrollment's are. Answers the enrollment as it is now, for this report too.
 */
async function fillEnrollmentGaps(
  trx: Kysely<Database>,
  enrollment: DeviceEnrollment,
  attributes: ProblemReport["diagnostics"]["deviceAttributes"],
): Promise<DeviceEnrollment> {
  const gaps = {
    ...(!enrollment.directoryDeviceId &&
      attributes?.directoryDeviceId && { directoryDeviceId: attributes.directoryDeviceId }),
    ...(!enrollment.serialNumber && attributes?.serialNumber && { serialNumber: attributes.serialNumber }),
    ...(!enrollment.assetId && attributes?.assetId && { assetId: attributes.assetId }),
  };
  for (const [column, value] of Object.entries(gaps) as [keyof typeof gaps, string][])
    await trx
      .updateTable("deviceEnrollments")
      .set({ [column]: value })
      .where("id", "=", enrollment.id)
      .where(column, "is", null)
      .execute();
  return { ...enrollment, ...gaps };
}

export async function fileReport(
  db: Kysely<Database>,
  enrollment: DeviceEnrollment,
  report: ProblemReport,
  now = new Date(),
): Promise<FiledReport> {
  const earlier = await replay(db, enrollment.id, report);
  if (earlier) return earlier;

  const at = now.toISOString();
  const placement = placeNewTicket(report.category);
  const reportId = randomUUID();
  const attributes = report.diagnostics.deviceAttributes;
  try {
    const row = await db.transaction().execute(async (trx) => {
      await tickets.insertReport(trx, {
        id: reportId,
        enrollmentId: enrollment.id,
        idempotencyKey: report.idempotencyKey,
        category: report.category,
        note: report.note || null,
        screenshot: report.screenshot ?? null,
        diagnostics: JSON.stringify(report.diagnostics),
        clientTime: report.clientTime,
        receivedAt: at,
      });
      // The device is the one that enrolled: a report's own attributes only fill in what its
      // enrollment lacks, so a report cannot name another device.
      const device = await fillEnrollmentGaps(trx, enrollment, attributes);
      const ticket = await tickets.insertTicket(trx, {
        reportId,
        enrollmentId: enrollment.id,
        status: "open",
        queue: placement.queue,
        tier: placement.tier,
        category: report.category,
        note: report.note || null,
        serialNumber: device.serialNumber ?? null,
        directoryDeviceId: device.directoryDeviceId ?? null,
        userEmail: report.diagnostics.user?.email ?? null,
        school: enrollment.school,
        assetId: device.assetId ?? null,
        assigneeId: null,
        createdAt: at,
        updatedAt: at,
      });
      await tickets.insertTicketEvent(trx, {
        ticketNumber: ticket.number,
        kind: "created",
        actorId: null,
        actorName: reportActorName(device.serialNumber),
        detail: JSON.stringify({ category: report.category, queue: placement.queue, tier: placement.tier }),
        createdAt: at,
      });
      if (report.category === "lost_stolen") {
        // A lost or stolen report marks the device missing, for the IT lead and the overnight lockdown,
        // only when its enrollment names one inventory device by both Google's device id and the serial
        // (see `verifiedDevice`: either alone is known to others). Otherwise the IT lead marks it.
        const verified = await verifiedDevice(trx, device);
        if (verified)
          await markMissing(
            trx,
            { id: null, name: reportActorName(verified.serialNumber) },
            verified,
            { reason: reportReason(report, "Reported lost or stolen"), ticketNumber: ticket.number },
            { now },
            trx,
          );
      }
      await tickets.insertIdempotencyRecord(trx, {
        enrollmentId: enrollment.id,
        idempotencyKey: report.idempotencyKey,
        requestHash: hashReport(report),
        ticketNumber: ticket.number,
        createdAt: at,
      });
      return ticket;
    });
    return { ticket: toTicket(row), replayed: false };
  } catch (error) {
    // A concurrent request with the same key won the race: answer with its ticket.
    if (isUniqueViolation(error)) {
      const winner = await replay(db, enrollment.id, report);
      if (winner) return winner;
    }
    throw error;
  }
}

export async function ticketDetail(db: Kysely<Database>, number: number): Promise<StaffTicketDetail | undefined> {
  const row = await tickets.findTicketWithReport(db, number);
  if (!row) return undefined;
  return {
    ...toStaffSummary(row),
    clientTime: row.clientTime,
    receivedAt: row.receivedAt,
    hasScreenshot: Boolean(row.hasScreenshot),
    diagnostics: JSON.parse(row.diagnostics) as DiagnosticsSnapshot,
  };
}
