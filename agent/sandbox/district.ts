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

const ouIndexes = new WeakMap<SandboxDistrict, { size: number; byOu: Map<string, DirectoryDevice[]> }>();

/**
 * The devices directly in one OU, from an index so a 100,000-device district pages quickly. The
 * index is rebuilt when devices are added or removed, or after `invalidateOuIndex` (a device moved).
 */
export function devicesInOu(district: SandboxDistrict, path: string): DirectoryDevice[] {
  let index = ouIndexes.get(district);
  if (!index || index.size !== district.devices.size) {
    const byOu = new Map<string, DirectoryDevice[]>();
    for (const device of district.devices.values()) {
      const key = (device.orgUnitPath ?? "").toLowerCase();
      const list = byOu.get(key);
      if (list) list.push(device);
      else byOu.set(key, [device]);
    }
    index = { size: district.devices.size, byOu };
    ouIndexes.set(district, index);
  }
  return index.byOu.get(path.toLowerCase()) ?? [];
}

export function invalidateOuIndex(district: SandboxDistrict): void {
  ouIndexes.delete(district);
}
