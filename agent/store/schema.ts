/** The database's tables as Kysely sees them (camelCase here, snake_case in SQL via CamelCasePlugin). */
import type { Generated, Insertable, Selectable } from "kysely";

export interface DeviceEnrollmentTable {
  id: string;
  directoryDeviceId: string | null;
  serialNumber: string | null;
  assetId: string | null;
  /** SHA-256 of the credential; the credential itself is never stored. */
  credentialHash: string;
  extensionVersion: string | null;
  /** The school (OU path) from the enrollment token, when the token names one. */
  school: string | null;
  /** known, unknown or mismatch against the inventory; null while the inventory was empty. */
  inventoryMatch?: string | null;
  enrolledAt: string;
  lastSeenAt: string;
}

export interface ReportTable {
  id: string;
  enrollmentId: string;
  idempotencyKey: string;
  category: string;
  note: string | null;
  screenshot: string | null;
  /** The diagnostics snapshot as JSON text (same text on SQLite and PostgreSQL). */
  diagnostics: string;
  clientTime: string;
  receivedAt: string;
}

export interface TicketTable {
  number: Generated<number>;
  reportId: string;
  enrollmentId: string;
  status: string;
  queue: string;
  tier: number;
  category: string;
  note: string | null;
  serialNumber: string | null;
  directoryDeviceId: string | null;
  userEmail: string | null;
  school: string | null;
  assetId: string | null;
  assigneeId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TicketEventTable {
  id: Generated<number>;
  ticketNumber: number;
  /** created, comment, assigned, escalated, resolved, reopened */
  kind: string;
  /** The staff member, or null for the device or the system. */
  actorId: string | null;
  actorName: string;
  /** JSON: the event's fields (comment text, from/to, reason). */
  detail: string;
  createdAt: string;
}

export interface IdempotencyRecordTable {
  enrollmentId: string;
  idempotencyKey: string;
  /** SHA-256 of the request body: the same key with another body is refused. */
  requestHash: string;
  ticketNumber: number;
  createdAt: string;
}

export interface StaffUserTable {
  id: string;
  email: string;
  displayName: string;
  /** scrypt hash; null for accounts that sign in with Google only. */
  passwordHash: string | null;
  disabled: Generated<number>;
  failedSignIns: Generated<number>;
  lockedUntil: string | null;
  createdAt: string;
}

export interface StaffRoleGrantTable {
  userId: string;
  role: string;
  /** An OU path, or "*" for the whole district. */
  school: string;
}

export interface StaffSessionTable {
  /** SHA-256 of the session token; the token lives only in the cookie. */
  idHash: string;
  userId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
}

export interface DeviceTable {
  /** Google's deviceId (the Directory API's id, also the extension's directory device id). */
  deviceId: string;
  serialNumber: string | null;
  status: string | null;
  orgUnitPath: string | null;
  model: string | null;
  osVersion: string | null;
  /** Auto-update expiration (autoUpdateThrough). */
  aueDate: string | null;
  lastSync: string | null;
  annotatedUser: string | null;
  /**
   * Since when the device has been assigned to `annotatedUser` (first seen so, or reassigned);
   * null with no user, or while the device is missing. Ended assignments are `device_assignments`.
   */
  assignedSince: string | null;
  annotatedAssetId: string | null;
  annotatedLocation: string | null;
  notes: string | null;
  /** JSON array of emails, most recent first. */
  recentUsers: Generated<string>;
  macAddress: string | null;
  /** JSON array of { ipAddress, wanIpAddress }. */
  lastKnownNetwork: Generated<string>;
  batteryHealth: string | null;
  batteryCycleCount: number | null;
  /** int64 values stay strings, as Google sends them. */
  diskTotalBytes: string | null;
  diskFreeBytes: string | null;
  telemetryAt: string | null;
  /** The full sync run that last saw it: devices a finished run did not see are tombstoned. */
  seenInRun: string | null;
  syncedAt: string;
  /** Set when Google no longer lists the device; the row stays for its tickets and history. */
  removedAt: string | null;
}

export interface DeviceAssignmentTable {
  id: Generated<number>;
  deviceId: string;
  userEmail: string;
  startedAt: string;
  endedAt: string | null;
}

export interface SyncStateTable {
  name: string;
  /** JSON: the sync's progress and resume point. */
  state: string;
  updatedAt: string;
}

export interface JobLeaseTable {
  job: string;
  holder: string;
  expiresAt: string;
}

export interface JobRunTable {
  id: Generated<number>;
  job: string;
  slot: string;
  trigger: string;
  holder: string;
  /** running, succeeded, failed */
  status: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  /** JSON: the job's progress while running and its result after. */
  detail: Generated<string>;
}

export interface DeviceActionTable {
  id: string;
  batchId: string;
  /** disable, reenable, deprovision or command */
  kind: string;
  commandType: string | null;
  deviceId: string;
  serialNumber: string | null;
  school: string | null;
  /** requested, sent, confirmed, failed */
  state: string;
  reason: string;
  deprovisionReason: string | null;
  ticketNumber: number | null;
  requestedById: string | null;
  requestedByName: string;
  requestId: string | null;
  attempts: Generated<number>;
  nextAttemptAt: string;
  claimedBy: string | null;
  claimedUntil: string | null;
  commandId: string | null;
  commandState: string | null;
  /** JSON: Google's answer for this device. */
  result: string | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface MissingDeviceTable {
  deviceId: string;
  since: string;
  reason: string;
  markedById: string | null;
  markedByName: string;
  ticketNumber: number | null;
  assignedUser: string | null;
}

export interface LoanTable {
  id: Generated<number>;
  deviceId: string;
  userEmail: string;
  lentAt: string;
  dueAt: string;
  returnedAt: string | null;
  lentByName: string;
}

export interface NotificationTable {
  id: Generated<number>;
  /** Who it is for: those holding this permission, or (`role:<role>`) those holding that role. */
  permission: string;
  school: string;
  title: string;
  body: string;
  link: string | null;
  createdAt: string;
}

export interface NotificationReadTable {
  notificationId: number;
  userId: string;
}

export interface AuditLogTable {
  seq: number;
  at: string;
  actorId: string | null;
  actorName: string;
  action: string;
  deviceId: string | null;
  serialNumber: string | null;
  school: string | null;
  reason: string | null;
  requestId: string | null;
  /** JSON */
  before: string | null;
  /** JSON */
  after: string | null;
  /** JSON: Google's answer. */
  google: string | null;
  prevHash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface BaselineTable {
  version: number;
  /** JSON: the baseline (shared `baseline`). */
  content: string;
  savedByName: string;
  savedAt: string;
}

export interface FilterStateTable {
  ouPath: string;
  rule: string;
  ouId: string;
  label: string;
  /** pass, drift or missing */
  status: string;
  /** JSON */
  expected: string | null;
  /** JSON */
  actual: string | null;
  setBy: string | null;
  since: string;
  lastChecked: string;
  baselineVersion: number;
  ticketNumber: number | null;
}

export interface FilterHistoryTable {
  id: Generated<number>;
  ouPath: string;
  rule: string;
  label: string;
  status: string;
  expected: string | null;
  actual: string | null;
  setBy: string | null;
  firstSeen: string;
  resolvedAt: string | null;
  ticketNumber: number | null;
}

export interface RemediationTable {
  id: string;
  /** restore (an OU's baseline) or apps (push apps) */
  kind: string;
  ouPath: string;
  ouId: string;
  /** queued, applying, applied, failed */
  state: string;
  /** JSON: the planned writes. */
  changes: string;
  requestedById: string | null;
  requestedByName: string;
  createdAt: string;
  /** Not before this time (set after Google failed, with backoff). */
  nextAttemptAt: string;
  attempts: Generated<number>;
  /** The worker applying it, and until when its claim holds (a dead worker's claim lapses). */
  claimedBy: string | null;
  claimedUntil: string | null;
  /** JSON: what Google answered (calls made), once applied. */
  googleAnswer: string | null;
  finishedAt: string | null;
  error: string | null;
}

/** What a device's TechDesk extension last said about its own compliance (filter audit, device side). */
export interface DeviceComplianceTable {
  deviceId: string;
  reportedAt: string;
  /** Whether the district granted the optional `management` permission on this device. */
  managementGranted: number;
  /** JSON: [{ id, name, enabled, installType }] of the extensions the extension could see. */
  extensions: string;
  /** chrome.proxy mode: direct, auto_detect, pac_script, fixed_servers or system; null when unknown. */
  proxyMode: string | null;
  /** chrome.proxy's levelOfControl (who sets the proxy); null when unknown. */
  proxyControl: string | null;
  /** JSON: what the extension could not read. */
  warnings: Generated<string>;
}

export interface Database {
  deviceEnrollments: DeviceEnrollmentTable;
  reports: ReportTable;
  tickets: TicketTable;
  idempotencyRecords: IdempotencyRecordTable;
  staffUsers: StaffUserTable;
  staffRoleGrants: StaffRoleGrantTable;
  staffSessions: StaffSessionTable;
  ticketEvents: TicketEventTable;
  devices: DeviceTable;
  deviceAssignments: DeviceAssignmentTable;
  syncState: SyncStateTable;
  jobLeases: JobLeaseTable;
  jobRuns: JobRunTable;
  deviceActions: DeviceActionTable;
  missingDevices: MissingDeviceTable;
  loans: LoanTable;
  notifications: NotificationTable;
  notificationReads: NotificationReadTable;
  auditLog: AuditLogTable;
  auditHead: AuditHeadTable;
  baselines: BaselineTable;
  filterState: FilterStateTable;
  filterHistory: FilterHistoryTable;
  remediations: RemediationTable;
  deviceCompliance: DeviceComplianceTable;
}

export type DeviceEnrollment = Selectable<DeviceEnrollmentTable>;
export type NewDeviceEnrollment = Insertable<DeviceEnrollmentTable>;
export type TicketRow = Selectable<TicketTable>;
export type ReportRow = Selectable<ReportTable>;
export type StaffUserRow = Selectable<StaffUserTable>;
export type StaffSessionRow = Selectable<StaffSessionTable>;
export type DeviceActionRow = Selectable<DeviceActionTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
