/** What Google knows of a device, as labelled facts: shared by the device page and the ticket page. */
import { bytes, when } from "../format";

export interface DeviceFactsInput {
  orgUnitPath?: string;
  model?: string;
  aueDate?: string;
  status?: string;
  batteryHealth?: string;
  batteryCycleCount?: number;
  diskTotalBytes?: string;
  diskFreeBytes?: string;
  telemetryAt?: string;
  annotatedUser?: string;
  recentUsers: string[];
  lastSync?: string;
  removedAt?: string;
}

const batteryWords: Record<string, string> = {
  BATTERY_HEALTH_NORMAL: "Normal",
  BATTERY_REPLACE_SOON: "Replace soon",
  BATTERY_REPLACE_NOW: "Replace now",
};

export function DeviceFacts({ device, title = "From Google" }: { device: DeviceFactsInput; title?: string }) {
  const aue = device.aueDate ? new Date(device.aueDate) : undefined;
  const total = device.diskTotalBytes ? Number(device.diskTotalBytes) : undefined;
  const free = device.diskFreeBytes ? Number(device.diskFreeBytes) : undefined;
  const facts: [string, string | undefined][] = [
    ["OU", device.orgUnitPath],
    ["Model", device.model],
    ["Status", device.status],
    [
      "Auto-update expiration",
      aue
        ? // Google gives the month's first day at UTC midnight: read in UTC, or west of Greenwich it is the month before.
          `${aue.toLocaleDateString(undefined, { year: "numeric", month: "long", timeZone: "UTC" })}${aue < new Date() ? " (expired: no more updates)" : ""}`
        : undefined,
    ],
    [
      "Battery health",
      device.batteryHealth
        ? `${batteryWords[device.batteryHealth] ?? device.batteryHealth}${device.batteryCycleCount ? `, ${device.batteryCycleCount} cycles` : ""}`
        : undefined,
    ],
    [
      "Disk",
      total && free !== undefined
        ? `${bytes(total - free)} used of ${bytes(total)}${free / total < 0.05 ? " (nearly full)" : ""}`
        : undefined,
    ],
    ["Battery and disk read", device.telemetryAt ? when(device.telemetryAt) : undefined],
    ["Assigned to", device.annotatedUser],
    ["Recent users", device.recentUsers.length ? device.recentUsers.join(", ") : undefined],
    ["Last sync", device.lastSync ? when(device.lastSync) : undefined],
    [
      "Removed",
      device.removedAt
        ? `Google no longer lists it (since ${when(device.removedAt)}): these are its last known facts`
        : undefined,
    ],
  ];
  return (
    <section class="facts" aria-label={title}>
      <h3>{title}</h3>
      <dl>
        {facts
          .filter(([, v]) => v)
          .map(([label, value]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
      </dl>
    </section>
  );
}
