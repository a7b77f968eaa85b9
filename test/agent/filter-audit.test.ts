/**
 * The filter audit against the sandbox: the seeded drift found with the OU that set it, the
 * comparison rules (block lists may block more, allow lists allow less, enum prefixes), and a
 * property: for a random OU tree with random local overrides, the audit through `googleapis` and
 * the sandbox agrees with a plain reference resolver written here.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditOus, orgUnitsOf } from "../../agent/filter/audit";
import { checkOu, expectationsFor, fieldHolds } from "../../agent/filter/baseline";
import { planRestore } from "../../agent/filter/remediation";
import { createGoogleClient } from "../../agent/google/client";
import { directoryAdapter } from "../../agent/google/directory";
import { policyAdapter } from "../../agent/google/policy";
import type { DirectoryOrgUnit, SandboxDistrict } from "../../agent/sandbox/district";
import { demoSchools, seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";
import { type Baseline, baseline as baselineSchema } from "../../shared";

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ district: seedDistrict({ devices: 10 }), policyReadsPerSecond: 0 });
});
afterAll(() => sandbox.close());

/** Unpaced: the read quota's pacing is the client's and the benchmark's concern, not this file's. */
const google = () =>
  createGoogleClient({ rootUrl: sandbox.url, limits: { policy: { concurrency: 10, limit: 100_000, windowMs: 1000 } } });

const k12: Baseline = baselineSchema.parse({
  version: 1,
  rules: [
    {
      ou: "/",
      policies: {
        "chrome.users.IncognitoMode": { incognitoModeAvailability: "UNAVAILABLE" },
        "chrome.users.SafeSearchRestrictedMode": { forceGoogleSafeSearch: true, forceYoutubeRestrictedMode: "STRICT" },
        "chrome.users.UrlBlocking": { urlBlocklist: ["*.proxysite.example"] },
        "chrome.devices.GuestMode": { guestModeEnabled: false },
      },
      apps: [
        {
          appId: "chrome:hclbedhgmicmhmlakomhbojpgaokbmko",
          name: "TechDesk",
          installType: "FORCED_AND_PIN_TO_TOOLBAR",
        },
        { appId: "chrome:aaaabbbbccccddddeeeeffffgggghhhh", name: "Content filter", installType: "FORCED" },
      ],
    },
  ],
});

describe("the filter audit on the demo district", () => {
  it("finds the drifted school, names the OU that set the value, and passes the rest", async () => {
    const client = google();
    const units = await orgUnitsOf(directoryAdapter(client));
    expect(units[0]?.path).toBe("/");
    const audited = await auditOus(policyAdapter(client), units, k12);
    expect(audited.map((a) => a.ouPath)).toEqual(units.map((u) => u.path));
    const drifted = `/Schools/${demoSchools[1]}/Students`;
    const problems = audited.flatMap((a) =>
      a.checks
        .filter((c) => c.status === "drift")
        .map((c) => ({ ou: a.ouPath, rule: c.rule, setBy: c.setBy, actual: c.actual })),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          ou: drifted,
          rule: "chrome.users.IncognitoMode.incognitoModeAvailability",
          setBy: drifted,
          actual: "AVAILABLE",
        },
        {
          ou: drifted,
          rule: "chrome.users.SafeSearchRestrictedMode.forceGoogleSafeSearch",
          setBy: drifted,
          actual: false,
        },
      ]),
    );
    expect(new Set(problems.map((p) => p.ou))).toEqual(new Set([drifted]));
    // The demo district force-installs TechDesk at the root; nobody installs the filter: missing, not drift.
    const app = audited[0]?.checks.find((c) => c.rule === "app:chrome:hclbedhgmicmhmlakomhbojpgaokbmko");
    expect(app).toMatchObject({ status: "pass", setBy: "/" });
    const filter = audited[0]?.checks.find((c) => c.rule === "app:chrome:aaaabbbbccccddddeeeeffffgggghhhh");
    expect(filter?.status).toBe("missing");
    const passing = audited[0]?.checks.find((c) => c.rule === "chrome.devices.GuestMode.guestModeEnabled");
    expect(passing).toMatchObject({ status: "pass", setBy: "/" });
  });

  it("lets deeper rules override shallower ones, field by field", () => {
    const layered = baselineSchema.parse({
      version: 2,
      rules: [
        { ou: "/", policies: { "chrome.users.IncognitoMode": { incognitoModeAvailability: "UNAVAILABLE" } } },
        {
          ou: "/Schools/Staff",
          policies: { "chrome.users.IncognitoMode": { incognitoModeAvailability: "AVAILABLE" } },
        },
      ],
    });
    const value = (ou: string) =>
      expectationsFor(layered, ou).policies.get("chrome.users.IncognitoMode")?.get("incognitoModeAvailability");
    expect(value("/Schools/Staff/Teachers")).toBe("AVAILABLE");
    expect(value("/Schools/Staffing")).toBe("UNAVAILABLE");
    expect(value("/")).toBe("UNAVAILABLE");
  });

  it("accepts a block list that blocks more and an allow list that allows less, and Google's enum prefixes", () => {
    expect(fieldHolds("chrome.users.UrlBlocking.urlBlocklist", ["a"], ["a", "b"])).toBe(true);
    expect(fieldHolds("chrome.users.UrlBlocking.urlBlocklist", ["a", "b"], ["a"])).toBe(false);
    expect(fieldHolds("chrome.users.UrlBlocking.urlAllowlist", ["a", "b"], ["a"])).toBe(true);
    expect(fieldHolds("chrome.users.UrlBlocking.urlAllowlist", ["a"], ["a", "evil"])).toBe(false);
    expect(
      fieldHolds(
        "chrome.users.IncognitoMode.incognitoModeAvailability",
        "UNAVAILABLE",
        "INCOGNITO_MODE_AVAILABILITY_ENUM_UNAVAILABLE",
      ),
    ).toBe(true);
  });
});

describe("an allow list that is not set", () => {
  const lists: Baseline = baselineSchema.parse({
    version: 3,
    rules: [
      {
        ou: "/",
        policies: {
          "chrome.users.UrlBlocking": { urlBlocklist: ["*.proxysite.example"], urlAllowlist: ["classroom.google.com"] },
        },
      },
    ],
  });

  it("passes: no allow list allows nothing beyond the block list, the strictest there is", () => {
    const checks = checkOu(expectationsFor(lists, "/Schools"), [
      {
        targetKey: { targetResource: "orgunits/schools" },
        sourceKey: { targetResource: "orgunits/schools" },
        value: { policySchema: "chrome.users.UrlBlocking", value: { urlBlocklist: ["*.proxysite.example"] } },
      },
    ]);
    expect(checks.find((c) => c.rule === "chrome.users.UrlBlocking.urlAllowlist")?.status).toBe("pass");
    // With no URL policy at all, the block list is what is missing; the allow list still passes.
    const none = checkOu(expectationsFor(lists, "/Schools"), []);
    expect(none.map((c) => [c.rule, c.status])).toEqual([
      ["chrome.users.UrlBlocking.urlBlocklist", "missing"],
      ["chrome.users.UrlBlocking.urlAllowlist", "pass"],
    ]);
  });

  it("is never written by a restore, which would allow what the OU does not", async () => {
    const client = google();
    const units = await orgUnitsOf(directoryAdapter(client));
    const ou = units.find((u) => u.path === `/Schools/${demoSchools[0]}/Staff`);
    if (!ou) throw new Error("the demo district has no staff OU");
    const local = sandbox.context.district.policies.get(ou.id) ?? new Map<string, Record<string, unknown>>();
    sandbox.context.district.policies.set(ou.id, local);
    local.set("chrome.users.UrlBlocking", { urlBlocklist: [] });
    try {
      const plan = await planRestore(policyAdapter(client), ou, lists);
      expect(plan.writes).toEqual([
        expect.objectContaining({
          policySchema: "chrome.users.UrlBlocking",
          value: { urlBlocklist: ["*.proxysite.example"] },
        }),
      ]);
    } finally {
      local.delete("chrome.users.UrlBlocking");
    }
  });
});

// ---- The property: random trees and overrides against a reference resolver ----

const incognito = ["AVAILABLE", "UNAVAILABLE", "FORCED"] as const;
const urls = ["a.example", "b.example", "c.example"];

interface World {
  parents: number[];
  overrides: {
    ou: number;
    incognito?: (typeof incognito)[number];
    prefixed: boolean;
    safeSearch?: boolean;
    blocklist?: string[];
  }[];
  ruleAt: number;
  rule: { incognito: (typeof incognito)[number]; safeSearch: boolean; blocklist: string[] };
}

const world: fc.Arbitrary<World> = fc.integer({ min: 1, max: 10 }).chain((n) =>
  fc.record({
    // OU i+1's parent is one of the OUs before it (0 is the root).
    parents: fc.tuple(...Array.from({ length: n }, (_, i) => fc.integer({ min: 0, max: i }))),
    overrides: fc.array(
      fc.record({
        ou: fc.integer({ min: 0, max: n }),
        incognito: fc.option(fc.constantFrom(...incognito), { nil: undefined }),
        prefixed: fc.boolean(),
        safeSearch: fc.option(fc.boolean(), { nil: undefined }),
        blocklist: fc.option(fc.subarray(urls), { nil: undefined }),
      }),
      { maxLength: 8 },
    ),
    ruleAt: fc.integer({ min: 0, max: n }),
    rule: fc.record({
      incognito: fc.constantFrom(...incognito),
      safeSearch: fc.boolean(),
      blocklist: fc.subarray(urls),
    }),
  }),
);

function build(w: World): { units: DirectoryOrgUnit[]; paths: string[]; policies: SandboxDistrict["policies"] } {
  const paths = ["/"];
  const units: DirectoryOrgUnit[] = [
    { orgUnitPath: "/", orgUnitId: "id:root", name: "", parentOrgUnitPath: undefined },
  ];
  w.parents.forEach((parent, i) => {
    const parentPath = paths[parent] as string;
    const path = `${parentPath === "/" ? "" : parentPath}/ou${i + 1}`;
    paths.push(path);
    units.push({ orgUnitPath: path, orgUnitId: `id:ou${i + 1}`, name: `ou${i + 1}`, parentOrgUnitPath: parentPath });
  });
  const policies: SandboxDistrict["policies"] = new Map();
  for (const o of w.overrides) {
    const id = o.ou === 0 ? "root" : `ou${o.ou}`;
    const local = policies.get(id) ?? new Map<string, Record<string, unknown>>();
    if (o.incognito)
      local.set("chrome.users.IncognitoMode", {
        incognitoModeAvailability: o.prefixed ? `INCOGNITO_MODE_AVAILABILITY_ENUM_${o.incognito}` : o.incognito,
      });
    if (o.safeSearch !== undefined)
      local.set("chrome.users.SafeSearchRestrictedMode", { forceGoogleSafeSearch: o.safeSearch });
    if (o.blocklist) local.set("chrome.users.UrlBlocking", { urlBlocklist: o.blocklist });
    policies.set(id, local);
  }
  return { units, paths, policies };
}

/** The reference: walk up from each OU to the nearest local value; compare plainly. */
function reference(w: World, paths: string[], policies: SandboxDistrict["policies"]) {
  const parentOf = (i: number) => (i === 0 ? undefined : (w.parents[i - 1] as number));
  const idOf = (i: number) => (i === 0 ? "root" : `ou${i}`);
  const within = (i: number) => {
    for (let at: number | undefined = i; at !== undefined; at = parentOf(at)) if (at === w.ruleAt) return true;
    return false;
  };
  const out: Record<string, Record<string, { status: string; setBy?: string }>> = {};
  paths.forEach((path, i) => {
    if (!within(i)) return;
    const nearest = (schema: string) => {
      for (let at: number | undefined = i; at !== undefined; at = parentOf(at)) {
        const value = policies.get(idOf(at))?.get(schema);
        if (value) return { value, setBy: paths[at] as string };
      }
      return undefined;
    };
    const verdict = (schema: string, field: string, holds: (actual: unknown) => boolean) => {
      const found = nearest(schema);
      const actual = found?.value[field];
      if (!found || actual === undefined) return { status: "missing" };
      return { status: holds(actual) ? "pass" : "drift", setBy: found.setBy };
    };
    out[path] = {
      "chrome.users.IncognitoMode.incognitoModeAvailability": verdict(
        "chrome.users.IncognitoMode",
        "incognitoModeAvailability",
        (a) => String(a).replace("INCOGNITO_MODE_AVAILABILITY_ENUM_", "") === w.rule.incognito,
      ),
      "chrome.users.SafeSearchRestrictedMode.forceGoogleSafeSearch": verdict(
        "chrome.users.SafeSearchRestrictedMode",
        "forceGoogleSafeSearch",
        (a) => a === w.rule.safeSearch,
      ),
      "chrome.users.UrlBlocking.urlBlocklist": verdict("chrome.users.UrlBlocking", "urlBlocklist", (a) =>
        w.rule.blocklist.every((u) => (a as string[]).includes(u)),
      ),
    };
  });
  return out;
}

describe("the filter audit, as a property", () => {
  it("agrees with a reference resolver for random OU trees and local overrides", async () => {
    const district = sandbox.context.district;
    const saved = { units: [...district.orgUnits], policies: new Map(district.policies) };
    const client = google();
    try {
      await fc.assert(
        fc.asyncProperty(world, async (w) => {
          const { units, paths, policies } = build(w);
          district.orgUnits.splice(0, district.orgUnits.length, ...units);
          district.policies.clear();
          for (const [k, v] of policies) district.policies.set(k, v);
          const rule = {
            ou: paths[w.ruleAt] as string,
            policies: {
              "chrome.users.IncognitoMode": { incognitoModeAvailability: w.rule.incognito },
              "chrome.users.SafeSearchRestrictedMode": { forceGoogleSafeSearch: w.rule.safeSearch },
              "chrome.users.UrlBlocking": { urlBlocklist: w.rule.blocklist },
            },
          };
          const audited = await auditOus(
            policyAdapter(client),
            await orgUnitsOf(directoryAdapter(client)),
            baselineSchema.parse({ version: 1, rules: [rule] }),
          );
          const got = Object.fromEntries(
            audited.map((a) => [
              a.ouPath,
              Object.fromEntries(
                a.checks.map((c) => [c.rule, c.setBy ? { status: c.status, setBy: c.setBy } : { status: c.status }]),
              ),
            ]),
          );
          expect(got).toEqual(reference(w, paths, policies));
        }),
        { numRuns: 40 },
      );
    } finally {
      district.orgUnits.splice(0, district.orgUnits.length, ...saved.units);
      district.policies.clear();
      for (const [k, v] of saved.policies) district.policies.set(k, v);
    }
  });
});
