/** The diagnostics snapshot a device sends with a report: one optional section per collector. */
import { z } from "zod";

const bytes = z.number().int().nonnegative();

export const platformInfo = z.object({
  os: z.string().max(32).optional(),
  arch: z.string().max(32).optional(),
  /** Full browser version from `userAgentData.getHighEntropyValues`, e.g. "126.0.6478.132". */
  browserVersion: z.string().max(64).optional(),
  /** ChromeOS platform version, e.g. "15886.44.0". */
  platformVersion: z.string().max(64).optional(),
  model: z.string().max(128).optional(),
});

export const cpuInfo = z.object({
  modelName: z.string().max(256).optional(),
  archName: z.string().max(64).optional(),
  cores: z.number().int().positive().optional(),
  /** Share of CPU time spent busy across all cores over a short sample, 0..1. */
  load: z.number().min(0).max(1).optional(),
});

export const memoryInfo = z.object({
  capacityBytes: bytes.optional(),
  availableBytes: bytes.optional(),
});

export const displayInfo = z.object({
  name: z.string().max(256).optional(),
  isPrimary: z.boolean().optional(),
  isInternal: z.boolean().optional(),
  widthPx: z.number().int().nonnegative().optional(),
  heightPx: z.number().int().nonnegative().optional(),
  dpiX: z.number().nonnegative().optional(),
  rotation: z.number().int().optional(),
});

export const removableStorageInfo = z.object({
  name: z.string().max(256).optional(),
  type: z.string().max(32).optional(),
  capacityBytes: bytes.optional(),
});

export const deviceAttributes = z.object({
  directoryDeviceId: z.string().max(128).optional(),
  serialNumber: z.string().max(128).optional(),
  assetId: z.string().max(256).optional(),
  annotatedLocation: z.string().max(256).optional(),
  hostname: z.string().max(256).optional(),
});

export const networkInfo = z.object({
  online: z.boolean().optional(),
  /** `navigator.connection.type` or `effectiveType` where the browser gives it. */
  connectionType: z.string().max(32).optional(),
  effectiveType: z.string().max(16).optional(),
  downlinkMbps: z.number().nonnegative().optional(),
  macAddress: z.string().max(64).optional(),
  ipv4: z.string().max(64).optional(),
  ipv6: z.string().max(128).optional(),
});

export const signedInUser = z.object({
  email: z.string().max(320).optional(),
});

export const extensionInfo = z.object({
  version: z.string().max(32).optional(),
  installType: z.string().max(32).optional(),
});

export const localeInfo = z.object({
  timeZone: z.string().max(64).optional(),
  locale: z.string().max(35).optional(),
  uiLanguage: z.string().max(35).optional(),
});

export const batteryInfo = z.object({
  /** 0..1 */
  level: z.number().min(0).max(1).optional(),
  charging: z.boolean().optional(),
  chargingTimeS: z.number().nonnegative().optional(),
  dischargingTimeS: z.number().nonnegative().optional(),
});

export const diagnosticWarning = z.object({
  collector: z.string().max(64),
  message: z.string().max(500),
});

/** The most displays and removable media a report lists; a collector keeps the first ones. */
export const maxDisplays = 16;
export const maxRemovableStorage = 32;
const displayList = z.array(displayInfo).max(maxDisplays);
const removableStorageList = z.array(removableStorageInfo).max(maxRemovableStorage);

/** Each collector's section keyed by the collector's name. Every section is optional. */
export const diagnosticsSnapshot = z.object({
  platform: platformInfo.optional(),
  cpu: cpuInfo.optional(),
  memory: memoryInfo.optional(),
  displays: displayList.optional(),
  removableStorage: removableStorageList.optional(),
  deviceAttributes: deviceAttributes.optional(),
  network: networkInfo.optional(),
  user: signedInUser.optional(),
  extension: extensionInfo.optional(),
  locale: localeInfo.optional(),
  battery: batteryInfo.optional(),
  /** When the snapshot was taken, per the device clock. */
  collectedAt: z.iso.datetime().optional(),
  warnings: z.array(diagnosticWarning).max(100),
});

export type PlatformInfo = z.infer<typeof platformInfo>;
export type CpuInfo = z.infer<typeof cpuInfo>;
export type MemoryInfo = z.infer<typeof memoryInfo>;
export type DisplayInfo = z.infer<typeof displayInfo>;
export type RemovableStorageInfo = z.infer<typeof removableStorageInfo>;
export type DeviceAttributes = z.infer<typeof deviceAttributes>;
export type NetworkInfo = z.infer<typeof networkInfo>;
export type SignedInUser = z.infer<typeof signedInUser>;
export type ExtensionInfo = z.infer<typeof extensionInfo>;
export type LocaleInfo = z.infer<typeof localeInfo>;
export type BatteryInfo = z.infer<typeof batteryInfo>;
export type DiagnosticWarning = z.infer<typeof diagnosticWarning>;
export type DiagnosticsSnapshot = z.infer<typeof diagnosticsSnapshot>;

/** The schema of each collector's section, by collector name; the convention test checks every collector has one. */
export const collectorSchemas = {
  platform: platformInfo,
  cpu: cpuInfo,
  memory: memoryInfo,
  // The same limits as the snapshot's: a section that passes here must not fail the report later.
  displays: displayList,
  removableStorage: removableStorageList,
  deviceAttributes,
  network: networkInfo,
  user: signedInUser,
  extension: extensionInfo,
  locale: localeInfo,
  battery: batteryInfo,
} as const;

export type CollectorName = keyof typeof collectorSchemas;
