/** The console's API: the ticket desk and the users and roles page. */
import { z } from "zod";
import { diagnosticsSnapshot } from "./diagnostics";
import { roleGrant } from "./permissions";
import { problemCategory } from "./report";
import { ticket, ticketQueue, ticketStatus, ticketTier } from "./ticket";

export const ticketSorts = ["newest", "oldest", "updated"] as const;

export const consoleTicketQuery = z.object({
  school: z.string().max(512).optional(),
  queue: ticketQueue.optional(),
  tier: z.coerce.number().int().min(1).max(4).optional(),
  status: ticketStatus.optional(),
  category: problemCategory.optional(),
  /** Only tickets opened at least this many days ago (to find what has waited too long). */
  olderThanDays: z.coerce.number().int().min(0).max(3650).optional(),
  /** Ticket number, serial number, asset tag or student email (or part of one). */
  q: z.string().trim().max(200).optional(),
  sort: z.enum(ticketSorts).default("newest"),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ConsoleTicketQuery = z.infer<typeof consoleTicketQuery>;

export const consoleTicket = ticket.extend({
  school: z.string().optional(),
  note: z.string().optional(),
  serialNumber: z.string().optional(),
  assetId: z.string().optional(),
  userEmail: z.string().optional(),
  assignee: z.object({ id: z.string(), name: z.string() }).optional(),
});
export type ConsoleTicket = z.infer<typeof consoleTicket>;

export const consoleTicketPage = z.object({
  tickets: z.array(consoleTicket),
  total: z.number().int().nonnegative(),
  nextCursor: z.string().optional(),
});
export type ConsoleTicketPage = z.infer<typeof consoleTicketPage>;

export const ticketEventKinds = [
  "created",
  "comment",
  "assigned",
  "escalated",
  "resolved",
  "reopened",
  "device",
] as const;

export const ticketEvent = z.object({
  id: z.number().int(),
  kind: z.enum(ticketEventKinds),
  actorName: z.string(),
  createdAt: z.iso.datetime(),
  detail: z.record(z.string(), z.unknown()),
});
export type TicketEvent = z.infer<typeof ticketEvent>;

export const ticketActions = z.object({
  comment: z.boolean(),
  assign: z.boolean(),
  escalate: z.boolean(),
  routeExternal: z.boolean(),
  resolve: z.boolean(),
});
export type TicketActions = z.infer<typeof ticketActions>;

/** A ticket's device as Google's inventory knows it: the facts that matter on a ticket. */
export const ticketDevice = z.object({
  deviceId: z.string(),
  orgUnitPath: z.string().optional(),
  model: z.string().optional(),
  aueDate: z.string().optional(),
  status: z.string().optional(),
  batteryHealth: z.string().optional(),
  batteryCycleCount: z.number().int().optional(),
  diskTotalBytes: z.string().optional(),
  diskFreeBytes: z.string().optional(),
  telemetryAt: z.string().optional(),
  annotatedUser: z.string().optional(),
  recentUsers: z.array(z.string()),
  lastSync: z.string().optional(),
  /** When Google stopped listing the device: these facts are its last known ones. */
  removedAt: z.string().optional(),
});

export const consoleTicketDetail = consoleTicket.extend({
  clientTime: z.iso.datetime({ offset: true }),
  receivedAt: z.iso.datetime(),
  hasScreenshot: z.boolean(),
  diagnostics: diagnosticsSnapshot,
  events: z.array(ticketEvent),
  /** What the signed-in person may do to this ticket; the server checks again on every call. */
  can: ticketActions,
  /** The device as Google's inventory knows it, when it can be matched. */
  device: ticketDevice.optional(),
  /** How the reporting device's enrollment compared with the inventory: known, unknown or mismatch. */
  inventoryMatch: z.string().optional(),
});
export type ConsoleTicketDetail = z.infer<typeof consoleTicketDetail>;

const reason = z.string().trim().min(3, "Give a reason of a few words.").max(2000);

/**
 * The ticket's `updatedAt` as the person's screen showed it. When given, the agent refuses (409) an
 * action on a ticket that has changed since, so a stale screen never undoes a colleague's work.
 * Comments need none: a comment adds to a ticket, it never undoes anything.
 */
const expectedUpdatedAt = z.iso.datetime().optional();

export const commentBody = z.object({ body: z.string().trim().min(1, "Write a comment.").max(5000) });
export const assignBody = z.object({ assigneeId: z.string().max(64).nullable(), expectedUpdatedAt });
export const escalateBody = z.object({ queue: ticketQueue, tier: ticketTier, reason, expectedUpdatedAt });
export const resolveBody = z.object({ resolution: reason, expectedUpdatedAt });
export const reopenBody = z.object({ reason, expectedUpdatedAt });

export const staffMember = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  disabled: z.boolean(),
  grants: z.array(roleGrant),
});
export type StaffMember = z.infer<typeof staffMember>;

export const newStaffMember = z.object({
  email: z.email().max(320),
  displayName: z.string().trim().min(1).max(200),
  /** Omit for people who sign in with Google only. */
  password: z.string().min(12, "Passwords need at least 12 characters.").max(1024).optional(),
  grants: z.array(roleGrant).min(1, "Give at least one role.").max(50),
});

export const staffMemberChange = z.object({
  displayName: z.string().trim().min(1).max(200).optional(),
  password: z.string().min(12, "Passwords need at least 12 characters.").max(1024).optional(),
  grants: z.array(roleGrant).min(1).max(50).optional(),
  disabled: z.boolean().optional(),
});
