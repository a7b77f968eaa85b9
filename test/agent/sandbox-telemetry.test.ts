/** The sandbox's Chrome Management telemetry API, driven through the real `googleapis` client over HTTP. */
import { admin } from "googleapis/build/src/apis/admin";
import { chromemanagement, type chromemanagement_v1 } from "googleapis/build/src/apis/chromemanagement";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelemetryDevice } from "../../agent/sandbox/district";
import { seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";

let sandbox: RunningSandbox;
let management: chromemanagement_v1.Chromemanagement;
let seeded: TelemetryDevice[];
const parent = "customers/my_customer";
const identity = ["customer", "deviceId", "name", "orgUnitId", "serialNumber"];

beforeAll(async () => {
  sandbox = await startSandbox({ district: seedDistrict({ seed: 5, devices: 250 }) });
  management = chromemanagement({ version: "v1", rootUrl: sandbox.url });
  seeded = [...sandbox.context.district.telemetry.values()];
});
afterAll(() => sandbox.close());

const list = (params: chromemanagement_v1.Params$Resource$Customers$Telemetry$Devices$List) =>
  management.customers.telemetry.devices.list({ parent, ...params });

/** Status and reason of a failed call, read from Google's envelope on the GaxiosError googleapis throws. */
async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    expect((error as object).constructor.name).toBe("GaxiosError");
    const { response } = error as { response: { status: number; data: { error: { errors: { reason: string }[] } } } };
    return { status: response.status, reason: response.data.error.errors[0]?.reason };
  }
  throw new Error("expected the call to fail");
}

describe("sandbox Chrome Management telemetry devices", () => {
  it("requires a readMask of known paths", async () => {
    expect(await failure(list({}))).toEqual({ status: 400, reason: "badRequest" });
    expect(await failure(list({ readMask: "battery_info,favourite_colour" }))).toEqual({
      status: 400,
      reason: "badRequest",
    });
    const one = management.customers.telemetry.devices.get({ name: seeded[0]?.name as string });
    expect(await failure(one)).toEqual({ status: 400, reason: "badRequest" });
  });

  it("answers only the fields the readMask names, besides what identifies the device", async () => {
    const { data } = await list({ readMask: "battery_status_report", pageSize: 5 });
    expect(data.devices).toHaveLength(5);
    for (const device of data.devices ?? []) {
      expect(Object.keys(device).sort()).toEqual([...identity, "batteryStatusReport"].sort());
    }
    const wider = await list({ readMask: "battery_info, storage_info,memoryInfo", pageSize: 1 });
    expect(Object.keys(wider.data.devices?.[0] ?? {}).sort()).toEqual(
      [...identity, "batteryInfo", "memoryInfo", "storageInfo"].sort(),
    );
  });

  it("filters by serial number, OU and report time, terms joined with AND", async () => {
    const target = seeded[17] as TelemetryDevice;
    const bySerial = await list({ readMask: "storage_info", filter: `serial_number=${target.serialNumber}` });
    expect(bySerial.data.devices?.map((d) => d.deviceId)).toEqual([target.deviceId]);
    expect(bySerial.data.devices?.[0]?.storageInfo).toEqual(target.storageInfo);

    const ou = target.orgUnitId as string;
    const inOu = seeded.filter((d) => d.orgUnitId === ou).length;
    const byOu = await list({ readMask: "os_update_status", filter: `org_unit_id=${ou}`, pageSize: 1000 });
    expect(byOu.data.devices).toHaveLength(inOu);
    expect(byOu.data.devices?.every((d) => d.orgUnitId === ou)).toBe(true);

    const times = seeded.map((d) => d.batteryStatusReport?.[0]?.reportTime as string).sort();
    const since = times[Math.floor(times.length / 2)] as string;
    const expected = seeded.filter((d) => (d.batteryStatusReport?.[0]?.reportTime as string) >= since);
    const recent = await list({
      readMask: "battery_status_report",
      filter: `reports_timestamp>="${since}"`,
      pageSize: 1000,
    });
    expect(recent.data.devices?.map((d) => d.deviceId).sort()).toEqual(expected.map((d) => d.deviceId).sort());
    expect(expected.length).toBeLessThan(seeded.length);

    const both = await list({
      readMask: "battery_info",
      filter: `org_unit_id=${ou} AND reports_timestamp>="${since}"`,
    });
    expect(both.data.devices?.length).toBe(expected.filter((d) => d.orgUnitId === ou).length);
    expect((await failure(list({ readMask: "battery_info", filter: "model=Dell" }))).status).toBe(400);
  });

  it("pages through every device with nextPageToken, at most 1000 a page", async () => {
    const seen = new Set<string>();
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const { data } = await list({ readMask: "memory_info", pageSize: 100, pageToken });
      for (const d of data.devices ?? []) seen.add(d.deviceId as string);
      pageToken = data.nextPageToken ?? undefined;
      pages += 1;
    } while (pageToken);
    expect(seen.size).toBe(250);
    expect(pages).toBe(3);
    const defaults = await list({ readMask: "memory_info" });
    expect(defaults.data.devices).toHaveLength(100);
    expect(await failure(list({ readMask: "memory_info", pageSize: 1001 }))).toEqual({
      status: 400,
      reason: "badRequest",
    });
    const foreign = list({
      readMask: "memory_info",
      filter: "org_unit_id=school0students",
      pageToken: defaults.data.nextPageToken ?? "",
    });
    expect((await failure(foreign)).status).toBe(400);
  });

  it("gets one device by name with a readMask, and refuses an unknown device or customer", async () => {
    const target = seeded[3] as TelemetryDevice;
    const { data } = await management.customers.telemetry.devices.get({
      name: `${parent}/telemetry/devices/${target.deviceId}`,
      readMask: "battery_status_report",
    });
    expect(data).toEqual({
      name: target.name,
      customer: target.customer,
      orgUnitId: target.orgUnitId,
      deviceId: target.deviceId,
      serialNumber: target.serialNumber,
      batteryStatusReport: target.batteryStatusReport,
    });
    const missing = management.customers.telemetry.devices.get({
      name: `${parent}/telemetry/devices/no-such-device`,
      readMask: "battery_info",
    });
    expect(await failure(missing)).toEqual({ status: 404, reason: "notFound" });
    const other = management.customers.telemetry.devices.list({
      parent: "customers/C0other",
      readMask: "battery_info",
    });
    expect((await failure(other)).status).toBe(404);
  });
  it("names a device's new OU once it is moved in the directory, and lists it there", async () => {
    const directory = admin({ version: "directory_v1", rootUrl: sandbox.url });
    const target = seeded[40] as TelemetryDevice;
    const from = target.orgUnitId as string;
    const loaners = sandbox.context.district.orgUnits.find(
      (ou) => ou.orgUnitPath?.endsWith("/Loaners") && ou.orgUnitId?.replace(/^id:/, "") !== from,
    );
    if (!loaners?.orgUnitPath || !loaners.orgUnitId) throw new Error("the district has no Loaners OU");
    const to = loaners.orgUnitId.replace(/^id:/, "");
    await directory.chromeosdevices.moveDevicesToOu({
      customerId: "my_customer",
      orgUnitPath: loaners.orgUnitPath,
      requestBody: { deviceIds: [target.deviceId as string] },
    });
    const ids = async (ou: string) =>
      (await list({ readMask: "storage_info", filter: `org_unit_id=${ou}`, pageSize: 1000 })).data.devices?.map(
        (d) => d.deviceId,
      );
    expect(await ids(to)).toContain(target.deviceId);
    expect(await ids(from)).not.toContain(target.deviceId);
  });
});
