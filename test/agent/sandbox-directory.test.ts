/** The sandbox's Directory API, driven through the real `googleapis` client over HTTP. */
import { admin, type admin_directory_v1 } from "googleapis/build/src/apis/admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSchools, seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";

let sandbox: RunningSandbox;
let directory: admin_directory_v1.Admin;
const customerId = "my_customer";

beforeAll(async () => {
  sandbox = await startSandbox({ district: seedDistrict({ seed: 7, devices: 700 }) });
  directory = admin({ version: "directory_v1", rootUrl: sandbox.url });
});
afterAll(() => sandbox.close());

async function reason(promise: Promise<unknown>): Promise<{ status: number; reason: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      status?: number;
      response?: { status: number; data: { error: { errors: { reason: string }[] } } };
    };
    return { status: e.response?.status ?? e.status ?? 0, reason: e.response?.data.error.errors[0]?.reason ?? "" };
  }
  throw new Error("expected the call to fail");
}

describe("sandbox Directory API", () => {
  it("lists org units: the three schools, each with Students, Staff and Loaners", async () => {
    const { data } = await directory.orgunits.list({ customerId, type: "all" });
    const paths = data.organizationUnits?.map((ou) => ou.orgUnitPath) ?? [];
    for (const school of demoSchools) {
      for (const sub of ["Students", "Staff", "Loaners"]) expect(paths).toContain(`/Schools/${school}/${sub}`);
    }
  });

  it("lists an OU's parent with allIncludingParent, and refuses a type Google does not have", async () => {
    const school = `/Schools/${demoSchools[0]}`;
    const paths = async (type: string) =>
      ((await directory.orgunits.list({ customerId, orgUnitPath: school, type })).data.organizationUnits ?? []).map(
        (ou) => ou.orgUnitPath,
      );
    const subs = ["Students", "Staff", "Loaners"].map((sub) => `${school}/${sub}`);
    expect((await paths("all")).sort()).toEqual([...subs].sort());
    expect((await paths("allIncludingParent")).sort()).toEqual([school, ...subs].sort());
    expect(await reason(directory.orgunits.list({ customerId, type: "everything" }))).toEqual({
      status: 400,
      reason: "invalid",
    });
  });

  it("pages through every device with nextPageToken at up to 300 a page, none twice", async () => {
    const seen = new Set<string>();
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const { data } = await directory.chromeosdevices.list({ customerId, maxResults: 300, pageToken });
      for (const d of data.chromeosdevices ?? []) seen.add(d.deviceId as string);
      pageToken = data.nextPageToken ?? undefined;
      pages += 1;
    } while (pageToken);
    expect(seen.size).toBe(700);
    expect(pages).toBe(3);
  });

  it("refuses more than 300 a page, and a page token from another listing, with Google's envelope", async () => {
    expect(await reason(directory.chromeosdevices.list({ customerId, maxResults: 301 }))).toEqual({
      status: 400,
      reason: "invalid",
    });
    const { data } = await directory.chromeosdevices.list({ customerId, maxResults: 10 });
    const other = directory.chromeosdevices.list({
      customerId,
      maxResults: 10,
      query: "status:active",
      pageToken: data.nextPageToken ?? "",
    });
    expect(await reason(other)).toEqual({ status: 400, reason: "invalid" });
  });

  it("filters by OU with and without child OUs", async () => {
    const school = `/Schools/${demoSchools[0]}`;
    const direct = await directory.chromeosdevices.list({ customerId, orgUnitPath: school, maxResults: 300 });
    expect(direct.data.chromeosdevices ?? []).toHaveLength(0);
    const all = await directory.chromeosdevices.list({
      customerId,
      orgUnitPath: school,
      includeChildOrgunits: true,
      maxResults: 300,
    });
    expect((all.data.chromeosdevices ?? []).every((d) => d.orgUnitPath?.startsWith(`${school}/`))).toBe(true);
    expect(all.data.chromeosdevices?.length).toBeGreaterThan(100);
  });

  it("keeps an OU's listing in its own order while another lists the same OU sorted", async () => {
    const ou = `/Schools/${demoSchools[1]}/Students`;
    const page = (pageToken?: string, orderBy?: string) =>
      directory.chromeosdevices.list({ customerId, orgUnitPath: ou, maxResults: 10, pageToken, orderBy });
    const whole = await directory.chromeosdevices.list({ customerId, orgUnitPath: ou, maxResults: 20 });
    const first = await page();
    await page(undefined, "serialNumber");
    const second = await page(first.data.nextPageToken ?? "");
    const ids = (data: admin_directory_v1.Schema$ChromeOsDevices) =>
      (data.chromeosdevices ?? []).map((d) => d.deviceId);
    expect([...ids(first.data), ...ids(second.data)]).toEqual(ids(whole.data));
  });

  it("answers the query terms id:, status:, user:, asset_id:, location: and sync:", async () => {
    const { data } = await directory.chromeosdevices.list({ customerId, maxResults: 300, orderBy: "serialNumber" });
    const sample = data.chromeosdevices?.find((d) => d.annotatedUser) as admin_directory_v1.Schema$ChromeOsDevice;
    const serialPart = (sample.serialNumber as string).slice(0, 6);
    const byId = await directory.chromeosdevices.list({ customerId, query: `id:${serialPart}` });
    // A serial query matches partially: the caller must confirm the exact match itself.
    expect(byId.data.chromeosdevices?.some((d) => d.serialNumber === sample.serialNumber)).toBe(true);
    expect(byId.data.chromeosdevices?.every((d) => d.serialNumber?.includes(serialPart))).toBe(true);
    const byUser = await directory.chromeosdevices.list({ customerId, query: `user:${sample.annotatedUser}` });
    expect(byUser.data.chromeosdevices?.map((d) => d.deviceId)).toEqual([sample.deviceId]);
    const byAsset = await directory.chromeosdevices.list({ customerId, query: `asset_id:${sample.annotatedAssetId}` });
    expect(byAsset.data.chromeosdevices?.map((d) => d.deviceId)).toContain(sample.deviceId);
    const disabled = await directory.chromeosdevices.list({ customerId, query: "status:disabled", maxResults: 300 });
    expect((disabled.data.chromeosdevices ?? []).every((d) => d.status === "DISABLED")).toBe(true);
    const since = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const recent = await directory.chromeosdevices.list({ customerId, query: `sync:${since}..`, maxResults: 300 });
    expect(recent.data.chromeosdevices?.length).toBeGreaterThan(0);
    expect((recent.data.chromeosdevices ?? []).every((d) => (d.lastSync ?? "") >= since)).toBe(true);
    // A range's end date includes that whole day; either end may be left open.
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const syncedIn = (from: string, until: string) =>
      [...sandbox.context.district.devices.values()]
        .filter((d) => (d.lastSync ?? "").slice(0, 10) >= from && (d.lastSync ?? "").slice(0, 10) <= until)
        .map((d) => d.deviceId)
        .sort();
    const listed = async (query: string) => {
      const ids: (string | null | undefined)[] = [];
      let pageToken: string | undefined;
      do {
        const { data: page } = await directory.chromeosdevices.list({ customerId, query, maxResults: 300, pageToken });
        ids.push(...(page.chromeosdevices ?? []).map((d) => d.deviceId));
        pageToken = page.nextPageToken ?? undefined;
      } while (pageToken);
      return ids.sort();
    };
    const week = syncedIn(day(10), day(4));
    expect(week.length).toBeGreaterThan(0);
    expect(await listed(`sync:${day(10)}..${day(4)}`)).toEqual(week);
    const longAgo = syncedIn("2000-01-01", day(12));
    expect(longAgo.length).toBeGreaterThan(0);
    expect(await listed(`sync:..${day(12)}`)).toEqual(longAgo);
    const combined = await directory.chromeosdevices.list({
      customerId,
      query: `location:"Library loaner cart" status:active`,
      maxResults: 300,
    });
    expect(
      (combined.data.chromeosdevices ?? []).every(
        (d) => d.annotatedLocation === "Library loaner cart" && d.status === "ACTIVE",
      ),
    ).toBe(true);
  });

  it("keeps only the fields a `fields` mask names, and leaves reports out of BASIC", async () => {
    const { data } = await directory.chromeosdevices.list({
      customerId,
      maxResults: 2,
      fields: "nextPageToken,chromeosdevices(deviceId,serialNumber)",
    });
    expect(Object.keys(data).sort()).toEqual(["chromeosdevices", "nextPageToken"]);
    expect(Object.keys(data.chromeosdevices?.[0] ?? {}).sort()).toEqual(["deviceId", "serialNumber"]);
    const basic = await directory.chromeosdevices.list({ customerId, maxResults: 1, projection: "BASIC" });
    expect(basic.data.chromeosdevices?.[0]?.recentUsers).toBeUndefined();
    const full = await directory.chromeosdevices.list({ customerId, maxResults: 1, projection: "FULL" });
    expect(full.data.chromeosdevices?.[0]?.diskVolumeReports).toBeDefined();
  });

  it("gets and patches a device, and moves devices between OUs 50 at a time", async () => {
    const { data } = await directory.chromeosdevices.list({ customerId, maxResults: 60, query: "status:active" });
    const ids = (data.chromeosdevices ?? []).map((d) => d.deviceId as string);
    const first = ids[0] as string;
    await directory.chromeosdevices.patch({
      customerId,
      deviceId: first,
      requestBody: { notes: "Cracked hinge", annotatedLocation: "IT office" },
    });
    const got = await directory.chromeosdevices.get({ customerId, deviceId: first });
    expect(got.data).toMatchObject({ notes: "Cracked hinge", annotatedLocation: "IT office" });
    const loaners = `/Schools/${demoSchools[0]}/Loaners`;
    await directory.chromeosdevices.moveDevicesToOu({
      customerId,
      orgUnitPath: loaners,
      requestBody: { deviceIds: ids.slice(0, 50) },
    });
    expect((await directory.chromeosdevices.get({ customerId, deviceId: first })).data.orgUnitPath).toBe(loaners);
    expect(
      await reason(
        directory.chromeosdevices.moveDevicesToOu({
          customerId,
          orgUnitPath: loaners,
          requestBody: { deviceIds: ids.slice(0, 51) },
        }),
      ),
    ).toEqual({
      status: 400,
      reason: "invalid",
    });
    expect(await reason(directory.chromeosdevices.get({ customerId, deviceId: "no-such-device" }))).toEqual({
      status: 404,
      reason: "notFound",
    });
  });

  it("changes status in batches of at most 50 with a result per device, partial failure included", async () => {
    const { data } = await directory.chromeosdevices.list({ customerId, maxResults: 3, query: "status:active" });
    const [a, b] = (data.chromeosdevices ?? []).map((d) => d.deviceId as string);
    const disable = await directory.customer.devices.chromeos.batchChangeStatus({
      customerId,
      requestBody: {
        deviceIds: [a as string, "missing-device"],
        changeChromeOsDeviceStatusAction: "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DISABLE",
      },
    });
    const results = disable.data.changeChromeOsDeviceStatusResults ?? [];
    expect(results.find((r) => r.deviceId === a)?.response).toBeDefined();
    expect(results.find((r) => r.deviceId === "missing-device")?.error).toBeDefined();
    expect((await directory.chromeosdevices.get({ customerId, deviceId: a as string })).data.status).toBe("DISABLED");
    const again = await directory.customer.devices.chromeos.batchChangeStatus({
      customerId,
      requestBody: {
        deviceIds: [a as string],
        changeChromeOsDeviceStatusAction: "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DISABLE",
      },
    });
    expect(again.data.changeChromeOsDeviceStatusResults?.[0]?.error).toBeDefined();
    await directory.customer.devices.chromeos.batchChangeStatus({
      customerId,
      requestBody: {
        deviceIds: [a as string],
        changeChromeOsDeviceStatusAction: "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_REENABLE",
      },
    });
    expect((await directory.chromeosdevices.get({ customerId, deviceId: a as string })).data.status).toBe("ACTIVE");
    const noReason = directory.customer.devices.chromeos.batchChangeStatus({
      customerId,
      requestBody: {
        deviceIds: [b as string],
        changeChromeOsDeviceStatusAction: "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DEPROVISION",
      },
    });
    expect((await reason(noReason)).status).toBe(400);
    const unspecified = directory.customer.devices.chromeos.batchChangeStatus({
      customerId,
      requestBody: {
        deviceIds: [b as string],
        changeChromeOsDeviceStatusAction: "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DEPROVISION",
        deprovisionReason: "DEPROVISION_REASON_UNSPECIFIED",
      },
    });
    expect(await reason(unspecified)).toEqual({ status: 400, reason: "required" });
    const tooMany = directory.customer.devices.chromeos.batchChangeStatus({
      customerId,
      requestBody: {
        deviceIds: Array.from({ length: 51 }, (_, i) => `d${i}`),
        changeChromeOsDeviceStatusAction: "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DISABLE",
      },
    });
    expect((await reason(tooMany)).status).toBe(400);
  });

  it("issues a command and reports its state until it ends", async () => {
    const { data } = await directory.chromeosdevices.list({ customerId, maxResults: 1, query: "status:active" });
    const deviceId = data.chromeosdevices?.[0]?.deviceId as string;
    const issued = await directory.customer.devices.chromeos.issueCommand({
      customerId,
      deviceId,
      requestBody: { commandType: "REBOOT" },
    });
    const commandId = issued.data.commandId as string;
    const states: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { data: command } = await directory.customer.devices.chromeos.commands.get({
        customerId,
        deviceId,
        commandId,
      });
      if (states.at(-1) !== command.state) states.push(command.state as string);
      if (command.state === "EXECUTED_BY_CLIENT") break;
    }
    expect(states).toEqual(["PENDING", "SENT_TO_CLIENT", "ACKED_BY_CLIENT", "EXECUTED_BY_CLIENT"]);
  });
  it("refuses a command to a device that is not active as a failed precondition", async () => {
    const { data } = await directory.chromeosdevices.list({ customerId, maxResults: 5, query: "status:active" });
    const deviceId = data.chromeosdevices?.[4]?.deviceId as string;
    const change = (action: string) =>
      directory.customer.devices.chromeos.batchChangeStatus({
        customerId,
        requestBody: { deviceIds: [deviceId], changeChromeOsDeviceStatusAction: action },
      });
    await change("CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DISABLE");
    try {
      const refused = await directory.customer.devices.chromeos
        .issueCommand({ customerId, deviceId, requestBody: { commandType: "REBOOT" } })
        .then(
          () => undefined,
          (error: { response?: { data: { error: { code: number; status: string; errors: { reason: string }[] } } } }) =>
            error.response?.data.error,
        );
      expect(refused).toMatchObject({
        code: 400,
        status: "FAILED_PRECONDITION",
        errors: [{ reason: "failedPrecondition" }],
      });
    } finally {
      await change("CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_REENABLE");
    }
  });
});

describe("sandbox faults", () => {
  it("answers injected 429, 403 rate limits and 503 in Google's envelope, then recovers", async () => {
    const plan = sandbox.context.faults;
    plan.inject({ fault: { kind: "status", status: 429 }, times: 1 });
    plan.inject({ fault: { kind: "rateLimit", reason: "userRateLimitExceeded" }, times: 1 });
    plan.inject({ fault: { kind: "status", status: 503 }, times: 1 });
    const list = () => directory.chromeosdevices.list({ customerId, maxResults: 1 }, { retry: false });
    expect(await reason(list())).toEqual({ status: 429, reason: "rateLimitExceeded" });
    expect(await reason(list())).toEqual({ status: 403, reason: "userRateLimitExceeded" });
    expect(await reason(list())).toEqual({ status: 503, reason: "backendError" });
    expect((await list()).status).toBe(200);
  });

  it("drops a connection when told to", async () => {
    sandbox.context.faults.inject({ fault: { kind: "drop" }, times: 1 });
    await expect(directory.chromeosdevices.list({ customerId, maxResults: 1 }, { retry: false })).rejects.toThrow();
    expect((await directory.chromeosdevices.list({ customerId, maxResults: 1 })).status).toBe(200);
  });

  it("enforces a per-user queries-per-minute quota", async () => {
    const limited = await startSandbox({ district: seedDistrict({ devices: 10 }), behaviour: { queriesPerMinute: 3 } });
    try {
      const client = admin({ version: "directory_v1", rootUrl: limited.url });
      for (let i = 0; i < 3; i++) await client.orgunits.list({ customerId });
      expect(await reason(client.orgunits.list({ customerId }, { retry: false }))).toEqual({
        status: 403,
        reason: "userRateLimitExceeded",
      });
    } finally {
      await limited.close();
    }
  });
});
