/** Devices as the inventory knows them (from Google's Directory and Chrome Management APIs). */
import { z } from "zod";
import { consoleTicket } from "./console";

export const inventoryDevice = z.object({
  deviceId: z.string(),
  serialNumber: z.string().optional(),
  status: z.string().optional(),
  orgUnitPath: z.string().optional(),
  model: z.string().optional(),
  osVersion: z.string().optional(),
  /** Auto-update expiration: after it the device gets no more ChromeOS updates. */
  aueDate: z.string().optional(),
  lastSync: z.string().optional(),
  annotatedUser: z.string().optional(),
  annotatedAssetId: z.string().optional(),
  annotatedLocation: z.string().optional(),
  notes: z.string().optional(),
  recentUsers: z.array(z.string()),
  macAddress: z.string().optional(),
  lastKnownNetwork: z.array(z.object({ ipAddress: z.string().optional(), wanIpAddress: z.string().optional() })),
  batteryHealth: z.string().optional(),
  batteryCycleCount: z.number().int().optional(),
  diskTotalBytes: z.string().optional(),
  diskFreeBytes: z.string().optional(),
  /** When battery and disk were last read from Google's telemetry. */
  telemetryAt: z.string().optional(),
  removedAt: z.string().optional(),
});
export type InventoryDevice = z.infer<typeof inventoryDevice>;

export const deviceAssignment = z.object({
  userEmail: z.string(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
});

export const deviceDetail = inventoryDevice.extend({
  assignments: z.array(deviceAssignment),
  /** The latest tickets (50 at most): `olderTickets` says more exist. */
  tickets: z.array(consoleTicket),
  olderTickets: z.boolean().optional(),
});
export type DeviceDetail = z.infer<typeof deviceDetail>;

export const deviceQuery = z.object({
  /** Serial number, asset tag or student email (or part of one). */
  q: z.string().trim().max(200).optional(),
  /** Only devices in this OU and the OUs under it. */
  ou: z.string().max(512).optional(),
  status: z.string().max(32).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const devicePage = z.object({ devices: z.array(inventoryDevice), nextCursor: z.string().optional() });
export type DevicePage = z.infer<typeof devicePage>;
