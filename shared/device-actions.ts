/**
 * Lost and stolen devices and MDM actions from the console: requests, the actions' records, the
 * bulk serial/asset-tag matcher, loaners, notifications and the audit log.
 */
import { z } from "zod";
import { inventoryDevice } from "./devices";

export const statusActions = ["disable", "reenable", "deprovision"] as const;
export type StatusAction = (typeof statusActions)[number];

/** Remote commands the console offers (Google's `commandType` values). */
export const deviceCommands = ["REBOOT", "WIPE_USERS", "REMOTE_POWERWASH", "FETCH_SUPPORT_PACKET"] as const;
export type DeviceCommand = (typeof deviceCommands)[number];

export const deviceCommandLabels: Record<DeviceCommand, string> = {
  REBOOT: "Reboot",
  WIPE_USERS: "Wipe users (signs everyone out and removes their local data)",
  REMOTE_POWERWASH: "Remote powerwash (factory reset)",
  FETCH_SUPPORT_PACKET: "Fetch a support packet (logs)",
};

/** Google's deprovision reasons that a person may choose (the Directory API's DeprovisionReason). */
export const deprovisionReasons = [
  "DEPROVISION_REASON_SAME_MODEL_REPLACEMENT",
  "DEPROVISION_REASON_DIFFERENT_MODEL_REPLACEMENT",
  "DEPROVISION_REASON_RETIRING_DEVICE",
  "DEPROVISION_REASON_UPGRADE_TRANSFER",
  "DEPROVISION_REASON_UPGRADE",
  "DEPROVISION_REASON_DOMAIN_MOVE",
  "DEPROVISION_REASON_SERVICE_EXPIRATION",
] as const;

export const deprovisionReasonLabels: Record<(typeof deprovisionReasons)[number], string> = {
  DEPROVISION_REASON_SAME_MODEL_REPLACEMENT: "Same model replacement (RMA, warranty swap)",
  DEPROVISION_REASON_DIFFERENT_MODEL_REPLACEMENT: "Replaced by a different or newer model",
  DEPROVISION_REASON_RETIRING_DEVICE: "Retiring from the fleet (donated, discarded)",
  DEPROVISION_REASON_UPGRADE_TRANSFER: "ChromeOS Flex upgrade transfer",
  DEPROVISION_REASON_UPGRADE: "The device was upgraded",
  DEPROVISION_REASON_DOMAIN_MOVE: "Moving to another domain",
  DEPROVISION_REASON_SERVICE_EXPIRATION: "Service expired",
};

const reason = z.string().trim().min(3, "give a reason of at least 3 characters").max(500);

/**
 * What the person must confirm. A disable or re-enable names the device (its serial) or the count;
 * deprovision and powerwash also take a second confirmation the person types out in full.
 */
export function expectedConfirmation(
  action: StatusAction | DeviceCommand,
  devices: readonly { serialNumber?: string | null; deviceId: string }[],
): string {
  const name =
    devices.length === 1 ? (devices[0]?.serialNumber ?? devices[0]?.deviceId ?? "") : `${devices.length} devices`;
  if (action === "deprovision") return `deprovision ${name}`;
  if (action === "REMOTE_POWERWASH") return `powerwash ${name}`;
  return name;
}

export function confirmationMatches(expected: string, given: string): boolean {
  return expected.trim().toLowerCase() === given.trim().replace(/\s+/g, " ").toLowerCase();
}

export const statusActionRequest = z
  .object({
    deviceIds: z.array(z.string().min(1).max(128)).min(1).max(2000),
    action: z.enum(statusActions),
    reason,
    deprovisionReason: z.enum(deprovisionReasons).optional(),
    /** See `expectedConfirmation`. */
    confirm: z.string().max(200),
    ticketNumber: z.number().int().positive().optional(),
  })
  .refine((r) => r.action !== "deprovision" || r.deprovisionReason, {
    message: "choose one of Google's deprovision reasons",
    path: ["deprovisionReason"],
  });
export type StatusActionRequest = z.infer<typeof statusActionRequest>;

export const commandRequest = z.object({
  command: z.enum(deviceCommands),
  reason,
  confirm: z.string().max(200),
  ticketNumber: z.number().int().positive().optional(),
});
export type CommandRequest = z.infer<typeof commandRequest>;

export const markMissingRequest = z.object({
  reason,
  ticketNumber: z.number().int().positive().optional(),
});

export const markFoundRequest = z.object({
  note: reason,
  /** Re-enable the device if it was disabled (uses a Chrome licence). */
  reenable: z.boolean().default(false),
});

export const actionStates = ["requested", "sent", "confirmed", "failed"] as const;
export type ActionState = (typeof actionStates)[number];

export const deviceAction = z.object({
  id: z.string(),
  batchId: z.string(),
  kind: z.enum([...statusActions, "command"]),
  commandType: z.string().optional(),
  deviceId: z.string(),
  serialNumber: z.string().optional(),
  state: z.enum(actionStates),
  reason: z.string(),
  deprovisionReason: z.string().optional(),
  ticketNumber: z.number().int().optional(),
  requestedBy: z.string(),
  attempts: z.number().int(),
  nextAttemptAt: z.string().optional(),
  commandState: z.string().optional(),
  error: z.string().optional(),
  result: z.unknown().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
});
export type DeviceAction = z.infer<typeof deviceAction>;

/** The most action ids one look-up takes (100 ids keep the URL near 4 KB). */
export const actionIdsPerLookup = 100;

const tooManyIds = `ask for at most ${actionIdsPerLookup} actions at once`;

export const actionQuery = z.object({
  deviceId: z.string().max(128).optional(),
  batchId: z.string().max(64).optional(),
  state: z.enum(actionStates).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /**
   * Comma-separated action ids: the actions a bulk request answered with, followed to their end
   * whichever batch each is in (a device's open action is reused with its earlier batch). With
   * ids, the other filters and the limit do not apply.
   */
  ids: z
    .string()
    .max(actionIdsPerLookup * 65, tooManyIds)
    .transform((s) => s.split(",").filter(Boolean))
    .pipe(z.array(z.string().max(64)).min(1).max(actionIdsPerLookup, tooManyIds))
    .optional(),
});

export const missingDevice = z.object({
  device: inventoryDevice,
  since: z.string(),
  reason: z.string(),
  markedBy: z.string(),
  ticketNumber: z.number().int().optional(),
  assignedUser: z.string().optional(),
  /** The latest action on the device, if any (e.g. a disable in flight). */
  lastAction: deviceAction.optional(),
});
export type MissingDevice = z.infer<typeof missingDevice>;

/** Bulk: one serial number or asset tag a line (commas and tabs also separate). */
export const matchRequest = z.object({ text: z.string().max(200_000) });

export const matchLine = z.object({
  line: z.number().int(),
  input: z.string(),
  outcome: z.enum(["matched", "none", "several"]),
  devices: z.array(inventoryDevice),
});
export type MatchLine = z.infer<typeof matchLine>;

export const returnInstructions = z.object({
  school: z.string().regex(/^\//),
  /** Shown on a disabled device's screen: return address and phone. */
  message: z.string().trim().min(1).max(2000),
});
export type ReturnInstructions = z.infer<typeof returnInstructions>;

export const loanRequest = z.object({
  userEmail: z.email().max(320),
  dueAt: z.iso.datetime({ offset: true }),
});

export const notification = z.object({
  id: z.number().int(),
  title: z.string(),
  body: z.string(),
  link: z.string().optional(),
  createdAt: z.string(),
  read: z.boolean(),
});
export type Notification = z.infer<typeof notification>;

export const auditQuery = z.object({
  action: z.string().max(64).optional(),
  actor: z.string().max(320).optional(),
  /** Device id or serial number. */
  device: z.string().max(128).optional(),
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  /** Entries before this seq (newest first). */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AuditQuery = z.infer<typeof auditQuery>;

export const auditEntry = z.object({
  seq: z.number().int(),
  at: z.string(),
  actorName: z.string(),
  action: z.string(),
  deviceId: z.string().optional(),
  serialNumber: z.string().optional(),
  school: z.string().optional(),
  reason: z.string().optional(),
  requestId: z.string().optional(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  google: z.unknown().optional(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntry>;

/** What the device page adds for actions: missing, on loan, its actions, and what this person may do. */
export const deviceControls = z.object({
  missing: z
    .object({
      since: z.string(),
      reason: z.string(),
      markedBy: z.string(),
      ticketNumber: z.number().int().optional(),
      assignedUser: z.string().optional(),
    })
    .optional(),
  loan: z.object({ userEmail: z.string(), lentAt: z.string(), dueAt: z.string() }).optional(),
  actions: z.array(deviceAction),
  can: z.object({ markMissing: z.boolean(), disable: z.boolean(), command: z.boolean(), loan: z.boolean() }),
});
export type DeviceControls = z.infer<typeof deviceControls>;
