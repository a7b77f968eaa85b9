/**
 * Directory API (Admin SDK) for ChromeOS devices and org units, as Google serves it: paths,
 * parameters, limits (300 a page, 50 ids a batch), query terms, `fields`, per-device batch results.
 */
import { randomUUID } from "node:crypto";
import type { Context, Hono } from "hono";
import { getCommand, issueCommand } from "./commands";
import type { DirectoryDevice, SandboxDistrict } from "./district";
import { devicesInOu, isWithin, moveDevice, orgUnitByPath } from "./district";
import { googleError } from "./errors";
import { applyFields, parseFields } from "./fields";
import type { SandboxContext } from "./server";

export const maxDevicesPerPage = 300;
export const maxIdsPerBatch = 50;

/** Heavy repeated reports that projection=BASIC leaves out. */
const fullOnly = [
  "recentUsers",
  "activeTimeRanges",
  "cpuStatusReports",
  "diskVolumeReports",
  "systemRamFreeReports",
  "lastKnownNetwork",
  "cpuInfo",
  "deviceFiles",
  "screenshotFiles",
];

function project(device: DirectoryDevice, projection: string | undefined): DirectoryDevice {
  if (projection?.toUpperCase() !== "BASIC") return device;
  const copy: Record<string, unknown> = { ...device };
  for (const key of fullOnly) delete copy[key];
  return copy as DirectoryDevice;
}

type DeviceTest = (device: DirectoryDevice) => boolean;

/**
 * One `query` term as a test on a device, e.g. `id:5CD1`, `status:disabled`, `sync:2026-11-01..`.
 * The term is read once, not for every device (a `sync:` listing of 100,000 devices parsed its dates
 * 200,000 times a page).
 */
function termTest(term: string): DeviceTest {
  const colon = term.indexOf(":");
  const key = colon > 0 ? term.slice(0, colon).toLowerCase() : "";
  const raw = (colon > 0 ? term.slice(colon + 1) : term).replace(/^"|"$/g, "");
  const value = raw.toLowerCase();
  const has = (field: string | null | undefined) => (field ?? "").toLowerCase().includes(value);
  switch (key) {
    case "id":
      // A serial query matches partially from three characters: callers must confirm an exact match.
      return (device) => value.length >= 3 && has(device.serialNumber);
    case "status":
      return (device) => (device.status ?? "").toLowerCase() === value;
    case "user":
      return (device) =>
        has(device.annotatedUser) ||
        (device.recentUsers ?? []).some((u) => (u.email ?? "").toLowerCase().includes(value));
    case "asset_id":
      return (device) => has(device.annotatedAssetId);
    case "location":
      return (device) => has(device.annotatedLocation);
    case "note":
      return (device) => has(device.notes);
    case "wifi_mac":
      return (device) => has(device.macAddress);
    case "sync":
    case "register": {
      const [from, to] = raw.split("..");
      const start = from ? new Date(from).getTime() : undefined;
      // An end date includes that whole day.
      const end = to ? new Date(to).getTime() + 86_400_000 : undefined;
      return (device) => {
        const at = key === "sync" ? device.lastSync : device.lastEnrollmentTime;
        if (!at) return false;
        const time = new Date(at).getTime();
        if (start !== undefined && time < start) return false;
        return !(end !== undefined && time >= end);
      };
    }
    default:
      return (device) =>
        [
          device.serialNumber,
          device.annotatedUser,
          device.annotatedAssetId,
          device.annotatedLocation,
          device.notes,
          device.model,
        ].some(has);
  }
}

function queryTerms(query: string): string[] {
  return query.match(/(?:[^\s"]+:"[^"]*"|"[^"]*"|\S+)/g) ?? [];
}

function fingerprint(params: Record<string, string | undefined>): string {
  return [params.query, params.orgUnitPath, params.includeChildOrgunits, params.orderBy, params.sortOrder].join("|");
}

function listDevices(c: Context, district: SandboxDistrict) {
  const q = c.req.query();
  const maxResults = q.maxResults === undefined ? 100 : Number(q.maxResults);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > maxDevicesPerPage) {
    return googleError(
      c,
      400,
      "invalid",
      `Invalid value for maxResults: ${q.maxResults}. Values must be within the range: [1, ${maxDevicesPerPage}]`,
    );
  }
  let devices: DirectoryDevice[];
  if (q.orgUnitPath && q.includeChildOrgunits !== "true") {
    if (!orgUnitByPath(district, q.orgUnitPath))
      return googleError(c, 400, "invalid", `Invalid Input: orgUnitPath ${q.orgUnitPath}`);
    devices = devicesInOu(district, q.orgUnitPath);
  } else devices = [...district.devices.values()];
  if (q.orgUnitPath && q.includeChildOrgunits === "true") {
    const ou = orgUnitByPath(district, q.orgUnitPath);
    if (!ou) return googleError(c, 400, "invalid", `Invalid Input: orgUnitPath ${q.orgUnitPath}`);
    devices = devices.filter((d) => isWithin(d.orgUnitPath ?? "", q.orgUnitPath as string));
  }
  if (q.query) {
    const tests = queryTerms(q.query).map(termTest);
    devices = devices.filter((d) => tests.every((test) => test(d)));
  }
  if (q.orderBy) {
    const field = {
      serialnumber: "serialNumber",
      status: "status",
      lastsync: "lastSync",
      annotateduser: "annotatedUser",
      annotatedlocation: "annotatedLocation",
      notes: "notes",
    }[q.orderBy.toLowerCase()] as keyof DirectoryDevice | undefined;
    if (!field) return googleError(c, 400, "invalid", `Invalid value for orderBy: ${q.orderBy}`);
    const direction = q.sortOrder?.toUpperCase() === "DESCENDING" ? -1 : 1;
    // A copy: the OU's own list is shared, in the order every unordered listing pages through.
    devices = [...devices].sort((a, b) => String(a[field] ?? "").localeCompare(String(b[field] ?? "")) * direction);
  }
  const print = fingerprint(q);
  let offset = 0;
  if (q.pageToken) {
    try {
      const token = JSON.parse(Buffer.from(q.pageToken, "base64url").toString()) as { offset: number; print: string };
      if (token.print !== print || !Number.isInteger(token.offset)) throw new Error("other listing");
      offset = token.offset;
    } catch {
      return googleError(c, 400, "invalid", "Invalid Input: pageToken");
    }
  }
  const page = devices.slice(offset, offset + maxResults).map((d) => project(d, q.projection));
  const body: Record<string, unknown> = {
    kind: "admin#directory#chromeosdevices",
    etag: `"${randomUUID()}"`,
    chromeosdevices: page,
  };
  if (offset + maxResults < devices.length) {
    body.nextPageToken = Buffer.from(JSON.stringify({ offset: offset + maxResults, print })).toString("base64url");
  }
  return c.json(q.fields ? applyFields(body, parseFields(q.fields)) : body);
}

const writable = ["annotatedUser", "annotatedLocation", "annotatedAssetId", "notes", "orgUnitPath"] as const;

/** The Directory API's DeprovisionReason values. */
const deprovisionReasons = [
  "DEPROVISION_REASON_UNSPECIFIED",
  "DEPROVISION_REASON_SAME_MODEL_REPLACEMENT",
  "DEPROVISION_REASON_UPGRADE",
  "DEPROVISION_REASON_DOMAIN_MOVE",
  "DEPROVISION_REASON_SERVICE_EXPIRATION",
  "DEPROVISION_REASON_OTHER",
  "DEPROVISION_REASON_DIFFERENT_MODEL_REPLACEMENT",
  "DEPROVISION_REASON_RETIRING_DEVICE",
  "DEPROVISION_REASON_UPGRADE_TRANSFER",
  "DEPROVISION_REASON_NOT_REQUIRED",
  "DEPROVISION_REASON_REPAIR_CENTER",
];

const statusActions: Record<string, { from: string[]; to: string }> = {
  CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DISABLE: { from: ["ACTIVE"], to: "DISABLED" },
  CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_REENABLE: { from: ["DISABLED"], to: "ACTIVE" },
  CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DEPROVISION: { from: ["ACTIVE", "DISABLED", "INACTIVE"], to: "DEPROVISIONED" },
};

export function registerDirectory(app: Hono, { district }: SandboxContext) {
  const base = "/admin/directory/v1/customer/:customerId";

  app.use(`${base}/*`, async (c, next) => {
    const customer = c.req.param("customerId");
    if (customer !== "my_customer" && customer !== district.customerId) {
      return googleError(c, 404, "notFound", "Resource Not Found: customer");
    }
    await next();
  });

  app.get(`${base}/orgunits`, (c) => {
    const from = c.req.query("orgUnitPath") ?? "/";
    const type = c.req.query("type") ?? "children";
    if (!["all", "children", "allIncludingParent"].includes(type)) {
      return googleError(c, 400, "invalid", `Invalid value for type: ${type}`);
    }
    const units = district.orgUnits.filter((ou) => {
      const path = ou.orgUnitPath ?? "";
      if (path === from) return type === "allIncludingParent";
      return type === "children" ? ou.parentOrgUnitPath === from : isWithin(path, from);
    });
    // Google names each OU's parent by id as well as by path.
    const withParentIds = units.map((ou) => ({
      ...ou,
      parentOrgUnitId:
        ou.parentOrgUnitId ??
        (ou.parentOrgUnitPath ? orgUnitByPath(district, ou.parentOrgUnitPath)?.orgUnitId : undefined),
    }));
    return c.json({ kind: "admin#directory#org_units", etag: `"${randomUUID()}"`, organizationUnits: withParentIds });
  });

  // Paths with a colon (`chromeos:batchChangeStatus`, `{id}:issueCommand`) are dispatched by hand.
  app.on(["GET", "POST", "PATCH", "PUT"], `${base}/devices/*`, async (c) => {
    const rest = c.req.path.replace(/^.*?\/devices\//, "");
    const method = c.req.method;
    if (rest === "chromeos" && method === "GET") return listDevices(c, district);
    if (rest === "chromeos:batchChangeStatus" && method === "POST") return batchChangeStatus(c, district);
    if (rest === "chromeos/moveDevicesToOu" && method === "POST") return moveDevicesToOu(c, district);
    const command = rest.match(/^chromeos\/([^/:]+):issueCommand$/);
    if (command && method === "POST") return issueCommand(c, district, command[1] as string);
    const commandGet = rest.match(/^chromeos\/([^/:]+)\/commands\/([^/]+)$/);
    if (commandGet && method === "GET")
      return getCommand(c, district, commandGet[1] as string, commandGet[2] as string);
    const one = rest.match(/^chromeos\/([^/:]+)$/);
    if (one) {
      const device = district.devices.get(one[1] as string);
      if (!device) return googleError(c, 404, "notFound", "Resource Not Found: deviceId");
      if (method === "GET") {
        const body = project(device, c.req.query("projection"));
        const fields = c.req.query("fields");
        return c.json(fields ? applyFields(body, parseFields(fields)) : body);
      }
      if (method === "PATCH" || method === "PUT") {
        const change = (await c.req.json().catch(() => ({}))) as Partial<DirectoryDevice>;
        if (change.orgUnitPath && !orgUnitByPath(district, change.orgUnitPath)) {
          return googleError(c, 400, "invalid", `Invalid Input: orgUnitPath ${change.orgUnitPath}`);
        }
        for (const key of writable) if (change[key] !== undefined) Object.assign(device, { [key]: change[key] });
        const ou = change.orgUnitPath ? orgUnitByPath(district, change.orgUnitPath) : undefined;
        if (ou) moveDevice(district, device, ou);
        device.etag = `"${randomUUID()}"`;
        return c.json(device);
      }
    }
    return googleError(c, 404, "notFound", `The sandbox has no endpoint ${method} ${c.req.path}.`);
  });
}

async function idsFrom(c: Context): Promise<string[] | Response> {
  const body = (await c.req.json().catch(() => ({}))) as { deviceIds?: unknown };
  const ids = Array.isArray(body.deviceIds) ? body.deviceIds.filter((x): x is string => typeof x === "string") : [];
  if (!ids.length) return googleError(c, 400, "required", "Required parameter: deviceIds");
  if (ids.length > maxIdsPerBatch) {
    return googleError(
      c,
      400,
      "invalid",
      `Invalid Input: at most ${maxIdsPerBatch} device ids are allowed in one request.`,
    );
  }
  return ids;
}

async function batchChangeStatus(c: Context, district: SandboxDistrict) {
  const body = (await c.req.raw
    .clone()
    .json()
    .catch(() => ({}))) as { changeChromeOsDeviceStatusAction?: string; deprovisionReason?: string };
  const ids = await idsFrom(c);
  if (ids instanceof Response) return ids;
  const action = statusActions[body.changeChromeOsDeviceStatusAction ?? ""];
  if (!action) return googleError(c, 400, "invalid", "Invalid value for changeChromeOsDeviceStatusAction.");
  // The enum's UNSPECIFIED value is no reason at all.
  const noReason = !body.deprovisionReason || body.deprovisionReason === "DEPROVISION_REASON_UNSPECIFIED";
  if (action.to === "DEPROVISIONED" && noReason) {
    return googleError(c, 400, "required", "A deprovisionReason is required to deprovision devices.");
  }
  if (body.deprovisionReason && !deprovisionReasons.includes(body.deprovisionReason)) {
    return googleError(c, 400, "invalid", `Invalid value for deprovisionReason: ${body.deprovisionReason}`);
  }
  const results = ids.map((deviceId) => {
    const device = district.devices.get(deviceId);
    if (!device) return { deviceId, error: { code: 5, message: "Device not found." } };
    if (!action.from.includes(device.status ?? "")) {
      return {
        deviceId,
        error: { code: 9, message: `Device is ${device.status}; this action needs ${action.from.join(" or ")}.` },
      };
    }
    device.status = action.to;
    if (action.to === "DEPROVISIONED") {
      device.deprovisionReason = body.deprovisionReason;
      device.lastDeprovisionTimestamp = new Date().toISOString();
    }
    device.etag = `"${randomUUID()}"`;
    return { deviceId, response: {} };
  });
  return c.json({ changeChromeOsDeviceStatusResults: results });
}

async function moveDevicesToOu(c: Context, district: SandboxDistrict) {
  const path = c.req.query("orgUnitPath") ?? "";
  const ou = orgUnitByPath(district, path);
  if (!ou) return googleError(c, 400, "invalid", `Invalid Input: orgUnitPath ${path}`);
  const ids = await idsFrom(c);
  if (ids instanceof Response) return ids;
  const missing = ids.filter((id) => !district.devices.has(id));
  if (missing.length)
    return googleError(c, 400, "invalid", `Invalid Input: device ids not found: ${missing.join(", ")}`);
  for (const id of ids) moveDevice(district, district.devices.get(id) as DirectoryDevice, ou);
  return c.body(null, 204);
}
