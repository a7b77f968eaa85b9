/** The sandbox's Chrome Policy API, driven through the real `googleapis` client over HTTP. */
import { chromepolicy, type chromepolicy_v1 } from "googleapis/build/src/apis/chromepolicy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";

type ResolvedPolicy = chromepolicy_v1.Schema$GoogleChromePolicyVersionsV1ResolvedPolicy;

let sandbox: RunningSandbox;
let policy: chromepolicy_v1.Chromepolicy;
const customer = "customers/my_customer";
// Seed OU ids: the root, one school, and the second school's Students OU (drifted locally).
const root = "orgunits/root";
const lincoln = "orgunits/school0";
const lincolnStudents = "orgunits/school0students";
const washingtonStudents = "orgunits/school1students";
const userSchemas = [
  "chrome.users.BrowserGuestModeEnabled",
  "chrome.users.DeveloperTools",
  "chrome.users.DnsOverHttps",
  "chrome.users.IncognitoMode",
  "chrome.users.SafeSearchRestrictedMode",
  "chrome.users.SafeSitesFilterBehavior",
  "chrome.users.UrlBlocking",
];

beforeAll(async () => {
  // The raw client paces nothing: the read quota has a test of its own below.
  sandbox = await startSandbox({ district: seedDistrict({ devices: 20 }), policyReadsPerSecond: 0 });
  policy = chromepolicy({ version: "v1", rootUrl: sandbox.url });
});
afterAll(() => sandbox.close());

const invalid = { status: 400, reason: "badRequest", name: "INVALID_ARGUMENT" };

function resolveCall(targetResource: string, policySchemaFilter: string, extra: object = {}, on = customer) {
  const requestBody = { policySchemaFilter, policyTargetKey: { targetResource }, ...extra };
  return policy.customers.policies.resolve({ customer: on, requestBody });
}

async function resolve(targetResource: string, policySchemaFilter: string, extra: object = {}) {
  return (await resolveCall(targetResource, policySchemaFilter, extra)).data.resolvedPolicies ?? [];
}

const bySchema = (policies: ResolvedPolicy[], schema: string) => policies.find((p) => p.value?.policySchema === schema);

/** Status, reason and status name of a failed call, read from Google's envelope on a GaxiosError. */
async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    // googleapis throws its own gaxios copy's GaxiosError, branded with this symbol across copies.
    expect((error as object).constructor.name).toBe("GaxiosError");
    expect(Symbol.for("gaxios-gaxios-error") in (error as object)).toBe(true);
    const response = (error as { response: unknown }).response as {
      status: number;
      data: { error: { code: number; status: string; errors: { reason: string }[] } };
    };
    expect(response.data.error.code).toBe(response.status);
    return { status: response.status, reason: response.data.error.errors[0]?.reason, name: response.data.error.status };
  }
  throw new Error("expected the call to fail");
}

/** One batchModify request; the mask defaults to every field given. */
function modify(
  targetResource: string,
  policySchema: string,
  value: object,
  options: { mask?: string; keys?: Record<string, string> } = {},
) {
  const { mask = Object.keys(value).join(","), keys } = options;
  return {
    policyTargetKey: { targetResource, ...(keys && { additionalTargetKeys: keys }) },
    policyValue: { policySchema, value },
    updateMask: mask,
  };
}

describe("sandbox Chrome Policy API: resolve", () => {
  it("resolves through the OU tree: the drifted OU's own values, everything else from the root", async () => {
    const policies = await resolve(washingtonStudents, "chrome.users.*");
    expect(policies.map((p) => p.value?.policySchema)).toEqual(userSchemas);
    expect(policies.every((p) => p.targetKey?.targetResource === washingtonStudents)).toBe(true);
    const incognito = bySchema(policies, "chrome.users.IncognitoMode");
    expect(incognito?.value?.value).toEqual({ incognitoModeAvailability: "AVAILABLE" });
    expect(incognito?.sourceKey?.targetResource).toBe(washingtonStudents);
    const safeSearch = bySchema(policies, "chrome.users.SafeSearchRestrictedMode");
    expect(safeSearch?.value?.value).toMatchObject({ forceGoogleSafeSearch: false });
    expect(safeSearch?.sourceKey?.targetResource).toBe(washingtonStudents);
    const inherited = policies.filter((p) => p.sourceKey?.targetResource !== p.targetKey?.targetResource);
    expect(inherited.map((p) => p.value?.policySchema)).toEqual(
      userSchemas.filter((s) => s !== "chrome.users.IncognitoMode" && s !== "chrome.users.SafeSearchRestrictedMode"),
    );
    expect(inherited.every((p) => p.sourceKey?.targetResource === root)).toBe(true);

    const elsewhere = await resolve(lincolnStudents, "chrome.users.IncognitoMode");
    expect(elsewhere).toHaveLength(1);
    expect(elsewhere[0]?.value?.value).toEqual({ incognitoModeAvailability: "UNAVAILABLE" });
    expect(elsewhere[0]?.sourceKey?.targetResource).toBe(root);
  });

  it("takes wildcards only in the leaf of a namespace", async () => {
    const devices = await resolve(lincolnStudents, "chrome.devices.*");
    expect(devices.map((p) => p.value?.policySchema)).toEqual(["chrome.devices.GuestMode"]);
    const safe = await resolve(lincolnStudents, "chrome.users.Safe*");
    expect(safe.map((p) => p.value?.policySchema)).toEqual([
      "chrome.users.SafeSearchRestrictedMode",
      "chrome.users.SafeSitesFilterBehavior",
    ]);
    for (const filter of ["*", "chrome.*", "*.users", "chrome.*.apps.*", ""]) {
      expect(await failure(resolve(lincolnStudents, filter)), filter).toEqual(invalid);
    }
  });

  it("pages with nextPageToken, and refuses more than 1000 a page or another listing's token", async () => {
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const { data } = await resolveCall(washingtonStudents, "chrome.users.*", { pageSize: 2, pageToken });
      expect(data.resolvedPolicies?.length).toBeLessThanOrEqual(2);
      seen.push(...(data.resolvedPolicies ?? []).map((p) => p.value?.policySchema as string));
      pageToken = data.nextPageToken ?? undefined;
      pages += 1;
    } while (pageToken);
    expect(seen).toEqual(userSchemas);
    expect(pages).toBe(4);

    expect(await failure(resolve(root, "chrome.users.*", { pageSize: 1001 }))).toEqual(invalid);
    const first = await resolveCall(root, "chrome.users.*", { pageSize: 2 });
    const foreign = resolve(root, "chrome.devices.*", { pageToken: first.data.nextPageToken });
    expect((await failure(foreign)).status).toBe(400);
  });

  it("refuses an unknown OU, a target that is not an OU, and another customer", async () => {
    expect(await failure(resolve("orgunits/nosuchou", "chrome.users.*"))).toMatchObject({ status: 404 });
    expect(await failure(resolve("/Schools", "chrome.users.*"))).toMatchObject({ status: 400 });
    const other = resolveCall(root, "chrome.users.*", {}, "customers/C0someoneelse");
    expect(await failure(other)).toMatchObject({ status: 404, reason: "notFound" });
    const byId = await resolveCall(root, "chrome.users.*", {}, `customers/${sandbox.context.district.customerId}`);
    expect(byId.data.resolvedPolicies).toHaveLength(userSchemas.length);
  });
});

describe("sandbox Chrome Policy API: writes", () => {
  const batchModify = (...requests: ReturnType<typeof modify>[]) =>
    policy.customers.policies.orgunits.batchModify({ customer, requestBody: { requests } });
  const batchInherit = (...requests: { policyTargetKey: { targetResource: string }; policySchema: string }[]) =>
    policy.customers.policies.orgunits.batchInherit({ customer, requestBody: { requests } });

  it("sets a local value: lists replaced whole, fields outside the mask kept, children inherit it", async () => {
    const { data } = await batchModify(
      modify(lincoln, "chrome.users.UrlBlocking", { urlBlocklist: ["*.games.example"] }),
    );
    expect(data).toEqual({});
    const [own] = await resolve(lincoln, "chrome.users.UrlBlocking");
    expect(own?.sourceKey?.targetResource).toBe(lincoln);
    // urlAllowlist was outside the mask: it keeps the value the OU had (from the root).
    expect(own?.value?.value).toEqual({ urlBlocklist: ["*.games.example"], urlAllowlist: ["classroom.google.com"] });
    const [child] = await resolve(lincolnStudents, "chrome.users.UrlBlocking");
    expect(child?.sourceKey?.targetResource).toBe(lincoln);
    expect(child?.targetKey?.targetResource).toBe(lincolnStudents);
    const [rootValue] = await resolve(root, "chrome.users.UrlBlocking");
    expect(rootValue?.value?.value).toMatchObject({ urlBlocklist: ["*.proxysite.example", "chrome://extensions"] });
  });

  it("batchInherit removes the local value so the OU inherits again", async () => {
    await batchInherit({
      policyTargetKey: { targetResource: washingtonStudents },
      policySchema: "chrome.users.IncognitoMode",
    });
    const [incognito] = await resolve(washingtonStudents, "chrome.users.IncognitoMode");
    expect(incognito?.value?.value).toEqual({ incognitoModeAvailability: "UNAVAILABLE" });
    expect(incognito?.sourceKey?.targetResource).toBe(root);
    // The other drifted value is still local.
    const [safeSearch] = await resolve(washingtonStudents, "chrome.users.SafeSearchRestrictedMode");
    expect(safeSearch?.sourceKey?.targetResource).toBe(washingtonStudents);
  });

  it("refuses a batch across root namespaces, and writes none of it", async () => {
    const mixed = batchModify(
      modify(lincolnStudents, "chrome.users.IncognitoMode", { incognitoModeAvailability: "FORCED" }),
      modify(lincolnStudents, "chrome.devices.GuestMode", { guestModeEnabled: true }),
    );
    expect(await failure(mixed)).toEqual(invalid);
    const [incognito] = await resolve(lincolnStudents, "chrome.users.IncognitoMode");
    expect(incognito?.value?.value).toEqual({ incognitoModeAvailability: "UNAVAILABLE" });
    const [guest] = await resolve(lincolnStudents, "chrome.devices.GuestMode");
    expect(guest?.value?.value).toEqual({ guestModeEnabled: false });
  });

  it("checks values against the schema: mask, field names, types, enum values and list sizes", async () => {
    const incognito = (value: object, mask?: string) =>
      batchModify(modify(lincolnStudents, "chrome.users.IncognitoMode", value, { mask }));
    const cases = [
      incognito({ incognitoModeAvailability: "FORCED" }, ""),
      incognito({}),
      incognito({ incognito: "FORCED" }, "incognito"),
      incognito({ incognitoModeAvailability: "SOMETIMES" }),
      batchModify(modify(lincolnStudents, "chrome.users.GuestBrowsing", { on: true })),
      batchModify(modify(lincolnStudents, "chrome.devices.GuestMode", { guestModeEnabled: "no" })),
      batchModify(modify(lincolnStudents, "chrome.users.UrlBlocking", { urlBlocklist: Array(1001).fill("x.example") })),
    ];
    for (const call of cases) expect((await failure(call)).status).toBe(400);
    // Google's full enum name is accepted as well as the short form.
    await incognito(
      { incognitoModeAvailability: "INCOGNITO_MODE_AVAILABILITY_ENUM_FORCED" },
      "incognitoModeAvailability",
    );
    const [forced] = await resolve(lincolnStudents, "chrome.users.IncognitoMode");
    expect(forced?.sourceKey?.targetResource).toBe(lincolnStudents);
  });

  it("keys app policies by app_id, and reports them with additionalTargetKeys", async () => {
    const app = { app_id: "chrome:abcdefghijklmnopabcdefghijklmnop" };
    const other = { app_id: "chrome:ponmlkjihgfedcbaponmlkjihgfedcba" };
    await batchModify(
      modify(lincoln, "chrome.users.apps.InstallType", { appInstallType: "FORCED" }, { keys: app }),
      modify(lincoln, "chrome.users.apps.ManagedConfiguration", { managedConfiguration: "{}" }, { keys: app }),
      modify(lincoln, "chrome.users.apps.InstallType", { appInstallType: "BLOCKED" }, { keys: other }),
    );
    const forApp = await resolve(lincolnStudents, "chrome.users.apps.*", {
      policyTargetKey: { targetResource: lincolnStudents, additionalTargetKeys: app },
    });
    expect(forApp.map((p) => p.value?.policySchema)).toEqual([
      "chrome.users.apps.InstallType",
      "chrome.users.apps.ManagedConfiguration",
    ]);
    expect(forApp[0]).toMatchObject({
      targetKey: { targetResource: lincolnStudents, additionalTargetKeys: app },
      sourceKey: { targetResource: lincoln, additionalTargetKeys: app },
      addedSourceKey: { targetResource: lincoln, additionalTargetKeys: app },
      value: { value: { appInstallType: "FORCED" } },
    });
    // Without an app id, every app's value: these two and TechDesk, which the demo installs at the root.
    const allApps = await resolve(lincolnStudents, "chrome.users.apps.InstallType");
    expect(allApps.map((p) => p.targetKey?.additionalTargetKeys?.app_id).sort()).toEqual(
      [app.app_id, other.app_id, "chrome:hclbedhgmicmhmlakomhbojpgaokbmko"].sort(),
    );
    // User policies are not app policies: a wildcard over chrome.users does not reach chrome.users.apps.
    expect((await resolve(lincolnStudents, "chrome.users.*")).some((p) => p.targetKey?.additionalTargetKeys)).toBe(
      false,
    );
    const withoutApp = batchModify(modify(lincoln, "chrome.users.apps.InstallType", { appInstallType: "FORCED" }));
    expect((await failure(withoutApp)).status).toBe(400);
  });

  it("answers writes past the per-minute limit (30 by default, 3 here) with 429, and still answers reads", async () => {
    expect(sandbox.context.policyWritesPerMinute).toBe(30);
    const limited = await startSandbox({ district: seedDistrict({ devices: 5 }), policyWritesPerMinute: 3 });
    try {
      const client = chromepolicy({ version: "v1", rootUrl: limited.url });
      const inherit = () =>
        client.customers.policies.orgunits.batchInherit({
          customer,
          requestBody: {
            requests: [{ policyTargetKey: { targetResource: lincoln }, policySchema: "chrome.users.IncognitoMode" }],
          },
        });
      for (let i = 0; i < 3; i++) expect((await inherit()).status).toBe(200);
      expect(await failure(inherit())).toEqual({
        status: 429,
        reason: "rateLimitExceeded",
        name: "RESOURCE_EXHAUSTED",
      });
      const modifyCall = client.customers.policies.orgunits.batchModify({
        customer: `customers/${limited.context.district.customerId}`,
        requestBody: {
          requests: [modify(lincoln, "chrome.devices.GuestMode", { guestModeEnabled: true })],
        },
      });
      expect((await failure(modifyCall)).status).toBe(429);
      const read = await client.customers.policies.resolve({
        customer,
        requestBody: { policySchemaFilter: "chrome.devices.*", policyTargetKey: { targetResource: lincoln } },
      });
      expect(read.data.resolvedPolicies?.[0]?.value?.value).toEqual({ guestModeEnabled: false });
    } finally {
      await limited.close();
    }
  });
});

describe("sandbox Chrome Policy API: read quota", () => {
  it("answers resolve calls past 10 a second per user with 429, and the next second again", async () => {
    const limited = await startSandbox({ district: seedDistrict({ devices: 5 }) });
    try {
      const client = chromepolicy({ version: "v1", rootUrl: limited.url });
      const read = () =>
        client.customers.policies.resolve({
          customer,
          requestBody: { policySchemaFilter: "chrome.devices.*", policyTargetKey: { targetResource: lincoln } },
        });
      const answers = await Promise.allSettled(Array.from({ length: 12 }, read));
      expect(answers.filter((a) => a.status === "fulfilled")).toHaveLength(10);
      const refused = answers.find((a) => a.status === "rejected");
      expect(await failure(Promise.reject((refused as PromiseRejectedResult).reason))).toMatchObject({
        status: 429,
        reason: "rateLimitExceeded",
      });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await read()).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe("sandbox Chrome Policy API: schemas", () => {
  it("lists schemas by filter, pages them, and describes the fields the seed uses", async () => {
    const { data } = await policy.customers.policySchemas.list({
      parent: customer,
      filter: "name=chrome.users.IncognitoMode",
    });
    expect(data.policySchemas?.map((s) => s.name)).toEqual([
      `customers/${sandbox.context.district.customerId}/policySchemas/chrome.users.IncognitoMode`,
    ]);
    expect(data.policySchemas?.[0]?.fieldDescriptions?.map((f) => f.field)).toEqual(["incognitoModeAvailability"]);

    const apps = await policy.customers.policySchemas.list({ parent: customer, filter: "namespace=chrome.users.apps" });
    expect(apps.data.policySchemas?.map((s) => s.schemaName)).toEqual([
      "chrome.users.apps.InstallType",
      "chrome.users.apps.ManagedConfiguration",
    ]);
    expect(apps.data.policySchemas?.[0]?.additionalTargetKeyNames?.map((k) => k.key)).toEqual(["app_id"]);

    const all: chromepolicy_v1.Schema$GoogleChromePolicyVersionsV1PolicySchema[] = [];
    let pageToken: string | undefined;
    do {
      const page = await policy.customers.policySchemas.list({ parent: customer, pageSize: 5, pageToken });
      all.push(...(page.data.policySchemas ?? []));
      pageToken = page.data.nextPageToken ?? undefined;
    } while (pageToken);
    const names = all.map((s) => s.schemaName);
    for (const name of [
      ...userSchemas,
      "chrome.users.SimpleProxySettings",
      "chrome.devices.GuestMode",
      "chrome.devices.DisabledDeviceReturnInstructions",
    ]) {
      expect(names).toContain(name);
    }
    expect(new Set(names).size).toBe(names.length);

    // Every field the seed sets anywhere is a field of its schema's definition.
    for (const [, values] of seedDistrict({ devices: 1 }).policies) {
      for (const [key, value] of values) {
        const schema = key.split("#")[0];
        const described = all.find((s) => s.schemaName === schema);
        const fields = described?.definition?.messageType?.[0]?.field?.map((f) => f.name) ?? [];
        for (const field of Object.keys(value)) expect(fields, `${schema}.${field}`).toContain(field);
      }
    }
    const one = await policy.customers.policySchemas.get({
      name: `${customer}/policySchemas/chrome.users.UrlBlocking`,
    });
    expect(one.data.definition?.messageType?.[0]?.field?.find((f) => f.name === "urlBlocklist")?.label).toBe(
      "LABEL_REPEATED",
    );
    expect((await failure(policy.customers.policySchemas.list({ parent: customer, pageSize: 1001 }))).status).toBe(400);
  });
});
