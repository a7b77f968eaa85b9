/**
 * /v1/compliance and the audit's device side: a device's extension reports what it sees; the
 * latest report per device is kept; devices whose report disagrees with the baseline for their OU
 * (a required extension missing or off, the wrong proxy mode, an extension controlling the proxy)
 * are listed on the filter dashboard, within the schools the reader may see.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemsOf } from "../../agent/filter/devices";
import { shippedBaseline } from "../../agent/services/filter-checks";
import { upsertDevices } from "../../agent/store/devices";
import { baseline as baselineSchema, type ComplianceReport } from "../../shared";
import { bearer, createTestAgent, lincoln, lincolnToken, type TestAgent, washington } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { signIn } from "../support/staff";

const techdesk = "hclbedhgmicmhmlakomhbojpgaokbmko";
let agent: TestAgent;
let district: District;

beforeAll(async () => {
  agent = await createTestAgent(undefined, {}, undefined, { google: true });
  district = await seedDistrict(agent);
});
afterAll(() => agent.close());

const report = (changes: Partial<ComplianceReport> = {}): ComplianceReport => ({
  collectedAt: new Date().toISOString(),
  managementGranted: true,
  extensions: [{ id: techdesk, name: "TechDesk", enabled: true, installType: "admin" }],
  proxy: { mode: "system", levelOfControl: "controllable_by_this_extension" },
  warnings: [],
  ...changes,
});

async function enrolled(serial: string, ou: string, token = lincolnToken) {
  const directoryDeviceId = `dev-${randomUUID()}`;
  const at = new Date().toISOString();
  await upsertDevices(
    agent.store.db,
    [{ deviceId: directoryDeviceId, serialNumber: serial, orgUnitPath: ou, syncedAt: at }],
    at,
  );
  const credential = await agent.enroll({ serialNumber: serial, directoryDeviceId }, token);
  return { directoryDeviceId, credential };
}

describe("POST /v1/compliance", () => {
  it("needs a device credential and a well-formed report", async () => {
    expect((await agent.post("/v1/compliance", report())).status).toBe(401);
    const { credential } = await enrolled("CMP0000001", `${lincoln}/Students`);
    const bad = await agent.post(
      "/v1/compliance",
      { ...report(), extensions: [{ id: "not-an-id", name: "x", enabled: true }] },
      bearer(credential),
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("an extension id is 32 letters a-p");
    const proxy = await agent.post("/v1/compliance", { ...report(), proxy: { mode: "vpn" } }, bearer(credential));
    expect(proxy.status).toBe(400);
  });

  it("keeps the latest report per device", async () => {
    const { credential, directoryDeviceId } = await enrolled("CMP0000002", `${lincoln}/Students`);
    expect((await agent.post("/v1/compliance", report(), bearer(credential))).status).toBe(200);
    const again = await agent.post(
      "/v1/compliance",
      report({ proxy: { mode: "fixed_servers", levelOfControl: "controlled_by_other_extensions" } }),
      bearer(credential),
    );
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ recorded: true });
    const rows = await agent.store.db
      .selectFrom("deviceCompliance")
      .selectAll()
      .where("deviceId", "=", directoryDeviceId)
      .execute();
    expect(rows).toEqual([
      expect.objectContaining({ proxyMode: "fixed_servers", proxyControl: "controlled_by_other_extensions" }),
    ]);
  });
});

describe("whose record a report is", () => {
  const disagreeing = async () => {
    const admin = await signIn(agent, district.districtAdminEmail);
    const body = (await (await admin.request("/api/filter")).json()) as {
      devices: { disagreeing: { deviceId: string; serialNumber?: string; problems: string[] }[] };
    };
    return body.devices.disagreeing;
  };

  it("never lets another enrollment claiming the device's id overwrite its report", async () => {
    const x = await enrolled("CMP0000006", `${lincoln}/Students`);
    await agent.post(
      "/v1/compliance",
      report({ extensions: [{ id: techdesk, name: "TechDesk", enabled: false }] }),
      bearer(x.credential),
    );
    expect((await disagreeing()).find((d) => d.deviceId === x.directoryDeviceId)?.problems).toEqual([
      "TechDesk is turned off",
    ]);
    // Anyone holding the (public) enrollment token can claim X's id with another serial, or with none.
    const claims: Record<string, string>[] = [
      { directoryDeviceId: x.directoryDeviceId, serialNumber: "NOT-X" },
      { directoryDeviceId: x.directoryDeviceId },
    ];
    for (const claim of claims) {
      const impostor = await agent.enroll(claim, lincolnToken);
      expect((await agent.post("/v1/compliance", report(), bearer(impostor))).status).toBe(200);
    }
    expect((await disagreeing()).find((d) => d.deviceId === x.directoryDeviceId)).toMatchObject({
      serialNumber: "CMP0000006",
      problems: ["TechDesk is turned off"],
    });
    const rows = await agent.store.db.selectFrom("deviceCompliance").select("deviceId").execute();
    expect(rows.filter((r) => r.deviceId === x.directoryDeviceId)).toHaveLength(1);
  });

  it("keeps a device unknown to the inventory under its own enrollment", async () => {
    const credential = await agent.enroll({ directoryDeviceId: "dev-not-synced", serialNumber: "CMP0000007" });
    expect((await agent.post("/v1/compliance", report(), bearer(credential))).status).toBe(200);
    const rows = await agent.store.db.selectFrom("deviceCompliance").select("deviceId").execute();
    expect(rows.map((r) => r.deviceId)).not.toContain("dev-not-synced");
    const enrollment = await agent.store.db
      .selectFrom("deviceEnrollments")
      .select("id")
      .where("serialNumber", "=", "CMP0000007")
      .executeTakeFirstOrThrow();
    expect(rows.map((r) => r.deviceId)).toContain(`enrollment:${enrollment.id}`);
    // Once the inventory knows it by that id and serial, its reports are the device's, and the
    // enrollment's own record goes.
    const at = new Date().toISOString();
    await upsertDevices(
      agent.store.db,
      [{ deviceId: "dev-not-synced", serialNumber: "CMP0000007", orgUnitPath: `${lincoln}/Students`, syncedAt: at }],
      at,
    );
    expect((await agent.post("/v1/compliance", report(), bearer(credential))).status).toBe(200);
    const after = (await agent.store.db.selectFrom("deviceCompliance").select("deviceId").execute()).map(
      (r) => r.deviceId,
    );
    expect(after).toContain("dev-not-synced");
    expect(after).not.toContain(`enrollment:${enrollment.id}`);
  });
});

describe("devices that disagree with policy", () => {
  it("judges extensions only with the management permission, and the proxy always", () => {
    const baseline = baselineSchema.parse({
      version: 1,
      rules: [
        {
          ou: "/",
          policies: { "chrome.users.SimpleProxySettings": { simpleProxyMode: "SIMPLE_PROXY_MODE_ENUM_SYSTEM" } },
          apps: [
            { appId: `chrome:${techdesk}`, name: "TechDesk", installType: "FORCED" },
            { appId: "chrome:aaaabbbbccccddddeeeeffffgggghhhh", name: "Content filter", installType: "FORCED" },
          ],
        },
      ],
    });
    const base = { orgUnitPath: lincoln, proxyMode: "system", proxyControl: null };
    expect(
      problemsOf(baseline, {
        ...base,
        managementGranted: true,
        extensions: [
          { id: techdesk, name: "TechDesk", enabled: true },
          { id: "aaaabbbbccccddddeeeeffffgggghhhh", name: "Content filter", enabled: false },
        ],
      }),
    ).toEqual(["Content filter is turned off"]);
    expect(problemsOf(baseline, { ...base, managementGranted: true, extensions: [] })).toEqual([
      "TechDesk is not installed",
      "Content filter is not installed",
    ]);
    expect(problemsOf(baseline, { ...base, managementGranted: false, extensions: [] })).toEqual([]);
    expect(problemsOf(baseline, { ...base, proxyMode: "direct", managementGranted: false, extensions: [] })).toEqual([
      "The proxy is direct; policy says system",
    ]);
    expect(
      problemsOf(shippedBaseline(), {
        ...base,
        proxyMode: "fixed_servers",
        proxyControl: "controlled_by_other_extensions",
        managementGranted: false,
        extensions: [],
      }),
    ).toEqual(["An extension has taken over the proxy settings"]);
  });

  it("lists them on the filter dashboard, only in the reader's schools", async () => {
    const off = await enrolled("CMP0000003", `${lincoln}/Students`);
    await agent.post(
      "/v1/compliance",
      report({ extensions: [{ id: techdesk, name: "TechDesk", enabled: false }] }),
      bearer(off.credential),
    );
    const other = await enrolled("CMP0000004", `${washington}/Students`);
    await agent.post(
      "/v1/compliance",
      report({ proxy: { mode: "fixed_servers", levelOfControl: "controlled_by_other_extensions" } }),
      bearer(other.credential),
    );
    const unchecked = await enrolled("CMP0000005", `${lincoln}/Staff`);
    await agent.post(
      "/v1/compliance",
      report({ managementGranted: false, extensions: [] }),
      bearer(unchecked.credential),
    );

    const lead = await signIn(agent, district.staffEmail("school_it_lead"));
    const mine = (await (await lead.request("/api/filter")).json()) as {
      devices: { disagreeing: { serialNumber?: string; problems: string[] }[]; withoutManagement: number };
    };
    const serials = mine.devices.disagreeing.map((d) => d.serialNumber);
    expect(serials).toContain("CMP0000003");
    expect(serials).not.toContain("CMP0000004");
    expect(mine.devices.disagreeing.find((d) => d.serialNumber === "CMP0000003")?.problems).toEqual([
      "TechDesk is turned off",
    ]);
    expect(mine.devices.withoutManagement).toBeGreaterThanOrEqual(1);
    const admin = await signIn(agent, district.districtAdminEmail);
    const all = (await (await admin.request("/api/filter")).json()) as {
      devices: { disagreeing: { serialNumber?: string; problems: string[] }[] };
    };
    expect(all.devices.disagreeing.find((d) => d.serialNumber === "CMP0000004")?.problems).toEqual([
      "An extension has taken over the proxy settings",
    ]);
  });
});
