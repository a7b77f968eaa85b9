/** Tickets as the agent answers them to devices and staff. */
import { z } from "zod";
import { diagnosticsSnapshot } from "./diagnostics";
import { problemCategory } from "./report";

/** Where a ticket waits: the escalation path, plus coaches for how-to questions. */
export const ticketQueues = [
  "student_tech_team",
  "school_it",
  "district_repair",
  "vendor",
  "coach",
  "building_admin",
] as const;
export const ticketQueue = z.enum(ticketQueues);
export type TicketQueue = z.infer<typeof ticketQueue>;

/**
 * The tier each queue works at: a move names both, and they must agree. Coaches answer how-to
 * questions at tier 1; the building admin (intentional damage) sits beside the school IT lead.
 */
export const queueTier: Record<TicketQueue, number> = {
  student_tech_team: 1,
  coach: 1,
  school_it: 2,
  building_admin: 2,
  district_repair: 3,
  vendor: 4,
};

/** True when a ticket at this queue and tier has left the school: moving it there or back takes `ticket.route_external`. */
export function routedOutside(queue: string, tier: number): boolean {
  return queue === "district_repair" || queue === "vendor" || tier >= 3;
}

export const ticketStatuses = ["open", "in_progress", "waiting", "resolved", "closed"] as const;
export const ticketStatus = z.enum(ticketStatuses);
export type TicketStatus = z.infer<typeof ticketStatus>;

/** 1 student tech team, 2 school IT lead, 3 district repair, 4 vendor. */
export const ticketTier = z.number().int().min(1).max(4);

export const ticketNumber = z.number().int().positive();

export const ticket = z.object({
  number: ticketNumber,
  status: ticketStatus,
  queue: ticketQueue,
  tier: ticketTier,
  category: problemCategory,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Ticket = z.infer<typeof ticket>;

/** The answer to a report: the ticket it filed (or, for a retried key, filed before). */
export const reportReceipt = z.object({ ticket });
export type ReportReceipt = z.infer<typeof reportReceipt>;

export const deviceTicketList = z.object({ tickets: z.array(ticket) });
export type DeviceTicketList = z.infer<typeof deviceTicketList>;

/** What staff see of a ticket in a listing. */
export const staffTicketSummary = ticket.extend({
  note: z.string().optional(),
  serialNumber: z.string().optional(),
  directoryDeviceId: z.string().optional(),
  userEmail: z.string().optional(),
});
export type StaffTicketSummary = z.infer<typeof staffTicketSummary>;

export const staffTicketPage = z.object({
  tickets: z.array(staffTicketSummary),
  /** Pass as `cursor` to read the next page; absent on the last page. */
  nextCursor: z.string().optional(),
});
export type StaffTicketPage = z.infer<typeof staffTicketPage>;

export const staffTicketDetail = staffTicketSummary.extend({
  clientTime: z.iso.datetime({ offset: true }),
  receivedAt: z.iso.datetime(),
  hasScreenshot: z.boolean(),
  diagnostics: diagnosticsSnapshot,
});
export type StaffTicketDetail = z.infer<typeof staffTicketDetail>;

export const staffTicketQuery = z.object({
  status: ticketStatus.optional(),
  queue: ticketQueue.optional(),
  category: problemCategory.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(64).optional(),
});
export type StaffTicketQuery = z.infer<typeof staffTicketQuery>;
