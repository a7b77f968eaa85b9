/**
 * Chrome Management API telemetry devices as Google serves them: `readMask` required, `pageSize` up to
 * 1000, and `filter` on serial number, OU, device id and report time, terms joined with AND.
 */
import type { Context, Hono } from "hono";
import { byDeviceId, type SandboxDistrict, type TelemetryDevice, telemetryInOu } from "./district";
import { googleError } from "./errors";
import { page, pageOffset, pageSizeOf } from "./paging";
import type { SandboxContext } from "./server";

export const maxTelemetryDevicesPerPage = 1000;

/** The `readMask` paths Google supports (snake_case; camelCase is accepted too). */
const readMaskPaths = [
  "name",
  "org_unit_id",
  "device_id",
  "serial_number",
  "cpu_info",
  "cpu_status_report",
  "memory_info",
  "memory_status_report",
  "network_info",
  "network_diagnostics_report",
  "network_status_report",
  "os_update_status",
  "graphics_info",
  "graphics_status_report",
  "battery_info",
  "battery_status_report",
  "storage_info",
  "storage_status_report",
  "thunderbolt_info",
  "audio_status_report",
  "boot_performance_report",
  "heartbeat_status_report",
  "network_bandwidth_report",
  "peripherals_report",
  "kiosk_app_status_report",
  "app_report",
  "runtime_counters_report",
];
/** Always answered, whatever the mask: what identifies the device. */
const identity = ["name", "customer", "orgUnitId", "deviceId", "serialNumber"];

const camel = (path: string) => path.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
const bad = (c: Context, message: string) => googleError(c, 400, "badRequest", message);

/** The camelCase fields a `readMask` names, or an error message. */
function readMaskFields(mask: string | undefined): string[] | string {
  if (!mask?.trim()) return "readMask is required.";
  const fields: string[] = [];
  for (const path of mask.split(",").map((p) => p.trim())) {
    const field = camel(path);
    if (!readMaskPaths.some((known) => camel(known) === field)) return `Invalid readMask path: ${path}.`;
    fields.push(field);
  }
  return fields;
}

function masked(device: TelemetryDevice, fields: string[]): TelemetryDevice {
  const out: Record<string, unknown> = {};
  for (const field of [...identity, ...fields]) {
    const value = (device as Record<string, unknown>)[field];
    if (value !== undefined) out[field] = value;
  }
  return out as TelemetryDevice;
}

/** `"2014-10-02T15:01:23Z"` or Unix epoch milliseconds, quoted or not. */
function timeOf(raw: string): number {
  const text = raw.replace(/^"|"$/g, "");
  return /^\d+$/.test(text) ? Number(text) : Date.parse(text);
}

const comparisons: Record<string, (a: number, b: number) => boolean> = {
  ">=": (a, b) => a >= b,
  ">": (a, b) => a > b,
  "<=": (a, b) => a <= b,
  "<": (a, b) => a < b,
  "=": (a, b) => a === b,
};

type TelemetryTest = (device: TelemetryDevice) => boolean;

/** One filter term as a test on a device (and the OU it names, if it is `org_unit_id=`), or an error message. */
function filterTerm(term: string): { test: TelemetryTest; orgUnitId?: string } | string {
  const match = term.match(/^(\w+)\s*(>=|<=|>|<|=)\s*(.+)$/);
  if (!match) return `Invalid filter term: ${term}.`;
  const [, rawField = "", op = "", rawValue = ""] = match;
  const field = camel(rawField);
  const value = rawValue.replace(/^"|"$/g, "");
  if (field === "serialNumber" || field === "orgUnitId" || field === "deviceId") {
    if (op !== "=") return `Only = is supported for ${rawField}.`;
    return { test: (device) => device[field] === value, ...(field === "orgUnitId" && { orgUnitId: value }) };
  }
  if (field === "reportsTimestamp") {
    const at = timeOf(rawValue);
    if (Number.isNaN(at)) return `Invalid reports_timestamp: ${rawValue}.`;
    const compare = comparisons[op] as (a: number, b: number) => boolean;
    // The sandbox keeps a device when one of its battery status reports falls in the range.
    return {
      test: (device) => (device.batteryStatusReport ?? []).some((r) => compare(Date.parse(r.reportTime ?? ""), at)),
    };
  }
  return `Unsupported filter field: ${rawField}.`;
}

interface DeviceFilter {
  test: TelemetryTest;
  /** The OU an `org_unit_id` term names: only its devices are looked at. */
  orgUnitId?: string;
}

function deviceFilter(filter: string | undefined): DeviceFilter | string {
  const tests: TelemetryTest[] = [];
  let orgUnitId: string | undefined;
  for (const term of (filter ?? "").split(/\s+AND\s+/i).map((t) => t.trim())) {
    if (!term) continue;
    const parsed = filterTerm(term);
    if (typeof parsed === "string") return parsed;
    tests.push(parsed.test);
    orgUnitId ??= parsed.orgUnitId;
  }
  return { test: (device) => tests.every((t) => t(device)), orgUnitId };
}

/**
 * The devices a listing answers, in listing order (by device id). A seeded district holds them in
 * that order, so this is one pass; a listing with a device changed out of order is sorted. A listing
 * of one OU looks only at that OU's devices (from an index): passing over all 100,000 for each page
 * of a district listed OU by OU cost the sandbox 14 s of CPU.
 */
function listingOf(district: SandboxDistrict, filter: DeviceFilter): TelemetryDevice[] {
  const candidates =
    filter.orgUnitId !== undefined ? telemetryInOu(district, filter.orgUnitId) : district.telemetry.values();
  const devices: TelemetryDevice[] = [];
  for (const device of candidates) if (filter.test(device)) devices.push(device);
  const id = (device: TelemetryDevice | undefined) => device?.deviceId ?? "";
  for (let i = 1; i < devices.length; i++) {
    if (byDeviceId(id(devices[i - 1]), id(devices[i])) > 0) return devices.sort((a, b) => byDeviceId(id(a), id(b)));
  }
  return devices;
}

function listDevices(c: Context, district: SandboxDistrict) {
  const q = c.req.query();
  const fields = readMaskFields(q.readMask);
  if (typeof fields === "string") return bad(c, fields);
  const size = pageSizeOf(q.pageSize, maxTelemetryDevicesPerPage);
  if (size === undefined) {
    return bad(c, `Invalid pageSize ${q.pageSize}: it must be within [0, ${maxTelemetryDevicesPerPage}].`);
  }
  const match = deviceFilter(q.filter);
  if (typeof match === "string") return bad(c, match);
  const listing = `telemetry|${q.filter ?? ""}`;
  const offset = pageOffset(q.pageToken, listing);
  if (offset === undefined) return bad(c, "Invalid pageToken.");
  const devices = listingOf(district, match);
  const { items, nextPageToken } = page(devices, offset, size, listing);
  return c.json({ devices: items.map((d) => masked(d, fields)), nextPageToken });
}

function getDevice(c: Context, district: SandboxDistrict, id: string) {
  const fields = readMaskFields(c.req.query("readMask"));
  if (typeof fields === "string") return bad(c, fields);
  const device = district.telemetry.get(id);
  if (!device) return googleError(c, 404, "notFound", `Telemetry device ${id} not found.`);
  return c.json(masked(device, fields));
}

export function registerTelemetry(app: Hono, { district }: SandboxContext) {
  const base = "/v1/customers/:customer/telemetry/devices";
  app.use(`${base}/*`, async (c, next) => {
    const customer = c.req.param("customer");
    if (customer !== "my_customer" && customer !== district.customerId) {
      return googleError(c, 404, "notFound", `Customer ${customer} not found.`);
    }
    await next();
  });
  app.get(base, (c) => listDevices(c, district));
  app.get(`${base}/:id`, (c) => getDevice(c, district, c.req.param("id")));
}
