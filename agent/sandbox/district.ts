/**
 * The sandbox's district: an OU tree, ChromeOS devices, telemetry and Chrome policies, held in
 * memory in exactly the shapes Google's APIs answer with (typed by `googleapis`).
 */
import type { admin_directory_v1, chromemanagement_v1 } from "googleapis";

export type DirectoryDevice = admin_directory_v1.Schema$ChromeOsDevice;
export type DirectoryOrgUnit = admin_directory_v1.Schema$OrgUnit;
export type TelemetryDevice = chromemanagement_v1.Schema$GoogleChromeManagementV1TelemetryDevice;

export interface SandboxCommand {
  commandId: string;
  deviceId: string;
  type: string;
  state: "PENDING" | "SENT_TO_CLIENT" | "ACKED_BY_CLIENT" | "EXECUTED_BY_CLIENT" | "EXPIRED" | "CANCELLED";
  issueTime: string;
  payload?: string;
  /** Polls left before the command moves on a state; makes "follow until it ends" testable. */
  pollsUntilNextState: number;
  /** Its effect on the device (files, wiped users) has been applied. */
  done?: boolean;
}

export interface SandboxDistrict {
  customerId: string;
  domain: string;
  orgUnits: DirectoryOrgUnit[];
  /** Devices in a stable order (by deviceId), which is the order `list` pages through. */
  devices: Map<string, DirectoryDevice>;
  telemetry: Map<string, TelemetryDevice>;
  /** Locally set policy values: orgUnitId → policySchema → value object. */
  policies: Map<string, Map<string, Record<string, unknown>>>;
  commands: Map<string, SandboxCommand>;
}

/** The order telemetry is listed in: by device id, compared by code point. */
export function byDeviceId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function orgUnitByPath(district: SandboxDistrict, path: string): DirectoryOrgUnit | undefined {
  return district.orgUnits.find((ou) => ou.orgUnitPath?.toLowerCase() === path.toLowerCase());
}

export function orgUnitById(district: SandboxDistrict, id: string): DirectoryOrgUnit | undefined {
  const bare = id.replace(/^id:/, "");
  return district.orgUnits.find((ou) => ou.orgUnitId?.replace(/^id:/, "") === bare);
}

/** The OU and its ancestors, nearest first: the order Chrome policy inheritance walks. */
export function ancestry(district: SandboxDistrict, ou: DirectoryOrgUnit): DirectoryOrgUnit[] {
  const chain: DirectoryOrgUnit[] = [];
  let current: DirectoryOrgUnit | undefined = ou;
  while (current) {
    chain.push(current);
    current = current.parentOrgUnitPath ? orgUnitByPath(district, current.parentOrgUnitPath) : undefined;
  }
  return chain;
}

export function isWithin(path: string, parent: string): boolean {
  const p = path.toLowerCase();
  const q = parent.toLowerCase();
  return q === "/" || p === q || p.startsWith(`${q}/`);
}

interface OuIndexes {
  size: number;
  byOu: Map<string, DirectoryDevice[]>;
  /** Telemetry devices by OU id, built when first asked for. */
  telemetry?: { size: number; byOu: Map<string, TelemetryDevice[]> };
}

const ouIndexes = new WeakMap<SandboxDistrict, OuIndexes>();

function indexesOf(district: SandboxDistrict): OuIndexes {
  let index = ouIndexes.get(district);
  if (!index || index.size !== district.devices.size) {
    index = { size: district.devices.size, byOu: groupBy(district.devices.values(), (d) => d.orgUnitPath ?? "") };
    ouIndexes.set(district, index);
  }
  return index;
}

function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item).toLowerCase();
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * The devices directly in one OU, from an index so a 100,000-device district pages quickly. The
 * index is rebuilt when devices are added or removed, or after `invalidateOuIndex` (a device moved).
 */
export function devicesInOu(district: SandboxDistrict, path: string): DirectoryDevice[] {
  return indexesOf(district).byOu.get(path.toLowerCase()) ?? [];
}

/** The telemetry devices in one OU (by its id, without `id:`), in the district's order; indexed likewise. */
export function telemetryInOu(district: SandboxDistrict, orgUnitId: string): TelemetryDevice[] {
  const index = indexesOf(district);
  if (!index.telemetry || index.telemetry.size !== district.telemetry.size) {
    const byOu = groupBy(district.telemetry.values(), (t) => t.orgUnitId ?? "");
    index.telemetry = { size: district.telemetry.size, byOu };
  }
  return index.telemetry.byOu.get(orgUnitId.toLowerCase()) ?? [];
}

export function invalidateOuIndex(district: SandboxDistrict): void {
  ouIndexes.delete(district);
}

/** Moves a device to `ou` as Google does: its directory entry and its telemetry name the new OU. */
export function moveDevice(district: SandboxDistrict, device: DirectoryDevice, ou: DirectoryOrgUnit): void {
  device.orgUnitPath = ou.orgUnitPath;
  device.orgUnitId = ou.orgUnitId?.replace(/^id:/, "");
  const telemetry = device.deviceId ? district.telemetry.get(device.deviceId) : undefined;
  if (telemetry) telemetry.orgUnitId = device.orgUnitId;
  invalidateOuIndex(district);
}
