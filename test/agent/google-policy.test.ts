/** The Chrome Policy adapter through `googleapis` against the sandbox. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGoogleClient } from "../../agent/google/client";
import { policyAdapter, rootNamespace } from "../../agent/google/policy";
import { demoSchools, seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ district: seedDistrict({ devices: 10 }) });
});
afterAll(() => sandbox.close());

const ouId = (path: string) =>
  sandbox.context.district.orgUnits.find((o) => o.orgUnitPath === path)?.orgUnitId?.replace(/^id:/, "") as string;

describe("policy adapter", () => {
  it("resolves an OU's policies with the OU that set each (the seeded drift included)", async () => {
    const policy = policyAdapter(createGoogleClient({ rootUrl: sandbox.url }));
    const drifted = ouId(`/Schools/${demoSchools[1]}/Students`);
    const resolved = await policy.resolve(drifted, "chrome.users.*");
    const incognito = resolved.find((p) => p.value?.policySchema === "chrome.users.IncognitoMode");
    expect(incognito?.sourceKey?.targetResource).toBe(`orgunits/${drifted}`);
    const urls = resolved.find((p) => p.value?.policySchema === "chrome.users.UrlBlocking");
    expect(urls?.sourceKey?.targetResource).toBe("orgunits/root");
  });

  it("writes by namespace, one call each, then lets the OU inherit again", async () => {
    const google = createGoogleClient({ rootUrl: sandbox.url });
    const policy = policyAdapter(google);
    const ou = ouId(`/Schools/${demoSchools[0]}/Students`);
    const calls = await policy.modify([
      {
        orgUnitId: ou,
        policySchema: "chrome.users.IncognitoMode",
        value: { incognitoModeAvailability: "UNAVAILABLE" },
      },
      {
        orgUnitId: ou,
        policySchema: "chrome.users.DeveloperTools",
        value: { developerToolsAvailability: "NEVER_ALLOW_DEVELOPER_TOOLS" },
      },
      { orgUnitId: ou, policySchema: "chrome.devices.GuestMode", value: { guestModeEnabled: false } },
    ]);
    expect(calls).toBe(2);
    const local = await policy.resolve(ou, "chrome.users.IncognitoMode");
    expect(local[0]?.sourceKey?.targetResource).toBe(`orgunits/${ou}`);
    await policy.inherit(ou, ["chrome.users.IncognitoMode", "chrome.users.DeveloperTools", "chrome.devices.GuestMode"]);
    const inherited = await policy.resolve(ou, "chrome.users.IncognitoMode");
    expect(inherited[0]?.sourceKey?.targetResource).toBe("orgunits/root");
  });

  it("sends a setting and an app policy at one OU in separate batches, as Google requires", async () => {
    const policy = policyAdapter(createGoogleClient({ rootUrl: sandbox.url }));
    const ou = ouId(`/Schools/${demoSchools[0]}/Staff`);
    const app = { app_id: "chrome:hclbedhgmicmhmlakomhbojpgaokbmko" };
    const calls = await policy.modify([
      {
        orgUnitId: ou,
        policySchema: "chrome.users.IncognitoMode",
        value: { incognitoModeAvailability: "UNAVAILABLE" },
      },
      {
        orgUnitId: ou,
        policySchema: "chrome.users.apps.InstallType",
        value: { appInstallType: "FORCED" },
        additionalTargetKeys: app,
      },
      {
        orgUnitId: ou,
        policySchema: "chrome.users.apps.ManagedConfiguration",
        value: { managedConfiguration: "{}" },
        additionalTargetKeys: app,
      },
    ]);
    expect(calls).toBe(2);
    const [installed] = await policy.resolve(ou, "chrome.users.apps.InstallType", app);
    expect(installed?.sourceKey?.targetResource).toBe(`orgunits/${ou}`);
  });

  it("reads policy schemas", async () => {
    const schemas = await policyAdapter(createGoogleClient({ rootUrl: sandbox.url })).schemas();
    expect(schemas.map((s) => s.schemaName)).toContain("chrome.users.UrlBlocking");
    expect(rootNamespace("chrome.users.apps.InstallType")).toBe("chrome.users");
  });
});
