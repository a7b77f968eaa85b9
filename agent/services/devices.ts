/** The Devices page and ticket enrichment: what the inventory knows of a device, within the person's schools. */
import { type Kysely, type Selectable, sql } from "kysely";
import { type DeviceDetail, type InventoryDevice, isAllowed } from "../../shared";
import { ApiError } from "../errors";
import type { Database, DeviceTable } from "../store/schema";
import { type SchoolScope, withinSchools } from "../store/ticket-desk";
import { containsPattern, orUndefined } from "../store/values";
import type { StaffPrincipal } from "./staff-accounts";
import { toConsoleTicket } from "./ticket-desk";

export function toInventoryDevice(row: Selectable<DeviceTable>): InventoryDevice {
  return {
    deviceId: row.deviceId,
    serialNumber: orUndefined(row.serialNumber),
    status: orUndefined(row.status),
    orgUnitPath: orUndefined(row.orgUnitPath),
    model: orUndefined(row.model),
    osVersion: orUndefined(row.osVersion),
    aueDate: orUndefined(row.aueDate),
    lastSync: orUndefined(row.lastSync),
    annotatedUser: orUndefined(row.annotatedUser),
    annotatedAssetId: orUndefined(row.annotatedAssetId),
    annotatedLocation: orUndefined(row.annotatedLocation),
    notes: orUndefined(row.notes),
    recentUsers: JSON.parse(row.recentUsers) as string[],
    macAddress: orUndefined(row.macAddress),
    lastKnownNetwork: JSON.parse(row.lastKnownNetwork) as InventoryDevice["lastKnownNetwork"],
    batteryHealth: orUndefined(row.batteryHealth),
    batteryCycleCount: orUndefined(row.batteryCycleCount),
    diskTotalBytes: orUndefined(row.diskTotalBytes),
    diskFreeBytes: orUndefined(row.diskFreeBytes),
    telemetryAt: orUndefined(row.telemetryAt),
    removedAt: orUndefined(row.removedAt),
  };
}

export async function searchDevices(
  db: Kysely<Database>,
  scope: SchoolScope,
  query: { q?: string; ou?: string; status?: string; cursor?: string; limit: number },
): Promise<{ devices: InventoryDevice[]; nextCursor?: string }> {
  let q = db.selectFrom("devices").selectAll().where(withinSchools<"devices">(scope, "devices.orgUnitPath"));
  if (query.ou) q = q.where(withinSchools<"devices">({ all: false, schools: [query.ou] }, "devices.orgUnitPath"));
  if (query.status) q = q.where("status", "=", query.status.toUpperCase());
  const text = query.q?.trim();
  if (text) {
    const pattern = containsPattern(text.toLowerCase());
    q = q.where((eb) =>
      eb.or([
        eb(eb.fn("upper", ["serialNumber"]), "=", text.toUpperCase()),
        eb(eb.fn("upper", ["annotatedAssetId"]), "=", text.toUpperCase()),
        sql<boolean>`lower(annotated_user) like ${pattern} escape '\\'`,
      ]),
    );
  }
  if (query.cursor) q = q.where("deviceId", ">", query.cursor);
  const rows = await q
    .orderBy("deviceId")
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  return {
    devices: page.map(toInventoryDevice),
    nextCursor: rows.length > query.limit ? page.at(-1)?.deviceId : undefined,
  };
}

/** How many of a device's tickets its page lists, newest first. */
export const deviceTicketsShown = 50;

export async function deviceDetailFor(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  deviceId: string,
): Promise<DeviceDetail> {
  const row = await db.selectFrom("devices").selectAll().where("deviceId", "=", deviceId).executeTakeFirst();
  if (!row || !isAllowed(staff.grants, "device.read", row.orgUnitPath)) {
    throw new ApiError(404, "not_found", "There is no such device you can see.");
  }
  const [assignments, tickets] = await Promise.all([
    db.selectFrom("deviceAssignments").selectAll().where("deviceId", "=", deviceId).orderBy("id", "desc").execute(),
    db
      .selectFrom("tickets")
      .selectAll()
      .where((eb) =>
        eb.or([
          eb("directoryDeviceId", "=", deviceId),
          ...(row.serialNumber ? [eb(eb.fn("upper", ["serialNumber"]), "=", row.serialNumber.toUpperCase())] : []),
        ]),
      )
      .orderBy("number", "desc")
      .limit(deviceTicketsShown + 1)
      .execute(),
  ]);
  return {
    ...toInventoryDevice(row),
    // The open assignment is on the device; the ended ones, newest first, after it.
    assignments: [
      ...(row.annotatedUser && row.assignedSince
        ? [{ userEmail: row.annotatedUser, startedAt: row.assignedSince }]
        : []),
      ...assignments.map((a) => ({ userEmail: a.userEmail, startedAt: a.startedAt, endedAt: orUndefined(a.endedAt) })),
    ],
    tickets: tickets
      .slice(0, deviceTicketsShown)
      .filter((t) => isAllowed(staff.grants, "ticket.read", t.school))
      .map((t) => toConsoleTicket(t)),
    ...(tickets.length > deviceTicketsShown && { olderTickets: true }),
  };
}

/** The inventory's device behind a ticket: by Google's device id, else by serial number. */
export async function deviceForTicket(
  db: Kysely<Database>,
  directoryDeviceId: string | null,
  serialNumber: string | null,
) {
  if (directoryDeviceId) {
    const byId = await db
      .selectFrom("devices")
      .selectAll()
      .where("deviceId", "=", directoryDeviceId)
      .executeTakeFirst();
    if (byId) return byId;
  }
  if (!serialNumber) return undefined;
  return db
    .selectFrom("devices")
    .selectAll()
    .where((eb) => eb(eb.fn("upper", ["serialNumber"]), "=", serialNumber.toUpperCase()))
    .where("removedAt", "is", null)
    .executeTakeFirst();
}

/** How an enrolling device compares with the inventory; undefined while the inventory is empty. */
export async function inventoryMatch(
  db: Kysely<Database>,
  device: { directoryDeviceId?: string; serialNumber?: string },
): Promise<string | undefined> {
  const any = await db.selectFrom("devices").select("deviceId").limit(1).executeTakeFirst();
  if (!any) return undefined;
  const row = await deviceForTicket(db, device.directoryDeviceId ?? null, device.serialNumber ?? null);
  if (!row) return "unknown";
  return sameDevice(row, device) ? "known" : "mismatch";
}

/**
 * The inventory's device an enrollment is, for acting on that device (marking it missing, keeping its
 * compliance record): Google's device id and the serial both claimed, both one device's, not removed.
 * The enrollment token is public and there is no attestation, so this is a claim, not proof; but a
 * managed Chromebook's extension reads both (`enterprise.deviceAttributes`), while either alone is
 * easy to come by (the serial is printed on the case; the id shows to anyone with `device.read` and
 * in the audit CSV). Undefined while the inventory is empty or does not know the device.
 */
export async function verifiedDevice(
  db: Kysely<Database>,
  claimed: { directoryDeviceId?: string | null; serialNumber?: string | null },
): Promise<Selectable<DeviceTable> | undefined> {
  if (!claimed.directoryDeviceId || !claimed.serialNumber) return undefined;
  const row = await db
    .selectFrom("devices")
    .selectAll()
    .where("deviceId", "=", claimed.directoryDeviceId)
    .where("removedAt", "is", null)
    .executeTakeFirst();
  return row?.serialNumber && row.serialNumber.toUpperCase() === claimed.serialNumber.toUpperCase() ? row : undefined;
}

/**
 * Whether the inventory's `row` is the device that says it has this id and serial (each when given).
 * Lenient, for telling a ticket's reader how a report compares with the inventory; acting on a device
 * takes `verifiedDevice`.
 */
export function sameDevice(
  row: { deviceId: string; serialNumber: string | null },
  device: { directoryDeviceId?: string | null; serialNumber?: string | null },
): boolean {
  if (device.serialNumber && row.serialNumber && row.serialNumber.toUpperCase() !== device.serialNumber.toUpperCase())
    return false;
  return !device.directoryDeviceId || row.deviceId === device.directoryDeviceId;
}
