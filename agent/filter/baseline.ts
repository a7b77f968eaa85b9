/**
 * The filter baseline as data: which rules apply to an OU (every rule on the OU or above it, deeper
 * rules winning field by field), and how one OU's resolved policies compare with them. Pure: no I/O.
 */
import {
  type Baseline,
  type BaselineApp,
  type FilterSchema,
  type FindingStatus,
  filterSchemaLabels,
  schoolWithin,
} from "../../shared";
import type { ResolvedPolicy } from "../google/policy";

export interface Expectations {
  /** schema → field → expected value. */
  policies: Map<string, Map<string, unknown>>;
  apps: Map<string, BaselineApp>;
}

/** The rules in force for `ouPath`: shallow rules first, deeper ones overriding them. */
export function expectationsFor(baseline: Baseline, ouPath: string): Expectations {
  const rules = baseline.rules
    .filter((rule) => schoolWithin(ouPath, rule.ou === "/" ? "*" : rule.ou))
    .sort((a, b) => depth(a.ou) - depth(b.ou));
  const policies = new Map<string, Map<string, unknown>>();
  const apps = new Map<string, BaselineApp>();
  for (const rule of rules) {
    for (const [schema, fields] of Object.entries(rule.policies)) {
      const merged = policies.get(schema) ?? new Map<string, unknown>();
      for (const [field, value] of Object.entries(fields ?? {})) merged.set(field, value);
      policies.set(schema, merged);
    }
    for (const app of rule.apps) apps.set(normalAppId(app.appId), app);
  }
  return { policies, apps };
}

const depth = (ou: string) => (ou === "/" ? 0 : ou.split("/").length - 1);

export const normalAppId = (id: string) => (id.startsWith("chrome:") ? id : `chrome:${id}`);

/** Google sends enums with their type as a prefix (`…_ENUM_UNAVAILABLE`); compare the value part. */
export function enumValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const at = value.indexOf("_ENUM_");
  return at >= 0 ? value.slice(at + "_ENUM_".length) : value;
}

/** How a field compares: block lists may block more, allow lists may allow less, the rest must equal. */
type Comparison = "superset" | "subset" | "same-set" | "equal";
const comparisons: Record<string, Comparison> = {
  "chrome.users.UrlBlocking.urlBlocklist": "superset",
  "chrome.users.UrlBlocking.urlAllowlist": "subset",
  "chrome.users.DnsOverHttps.dnsOverHttpsTemplates": "same-set",
};

export function fieldHolds(rule: string, expected: unknown, actual: unknown): boolean {
  const how = comparisons[rule] ?? "equal";
  if (how === "equal") return JSON.stringify(enumValue(actual)) === JSON.stringify(enumValue(expected));
  const want = new Set((expected as unknown[]) ?? []);
  const have = new Set(Array.isArray(actual) ? actual : []);
  if (how === "superset") return [...want].every((v) => have.has(v));
  if (how === "subset") return [...have].every((v) => want.has(v));
  return want.size === have.size && [...want].every((v) => have.has(v));
}

/** Install types that satisfy an expected one: pinning is force-installing and more. */
const satisfies: Record<string, string[]> = {
  FORCED: ["FORCED", "FORCED_AND_PIN_TO_TOOLBAR"],
  FORCED_AND_PIN_TO_TOOLBAR: ["FORCED_AND_PIN_TO_TOOLBAR"],
};

export interface Check {
  rule: string;
  label: string;
  status: FindingStatus;
  expected: unknown;
  actual?: unknown;
  /** Org unit id (no `id:` prefix) whose value is in effect. */
  setById?: string;
}

const sourceOf = (policy: ResolvedPolicy | undefined) =>
  policy?.sourceKey?.targetResource?.replace(/^orgunits\//, "") ?? undefined;

function jsonEqual(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Every expected field and app checked against what Google resolved for one OU. */
export function checkOu(expectations: Expectations, resolved: ResolvedPolicy[]): Check[] {
  const checks: Check[] = [];
  const bySchema = new Map<string, ResolvedPolicy>();
  const byApp = new Map<string, Map<string, ResolvedPolicy>>();
  for (const policy of resolved) {
    const schema = policy.value?.policySchema ?? "";
    const app = policy.targetKey?.additionalTargetKeys?.app_id;
    if (app) {
      const forApp = byApp.get(app) ?? new Map<string, ResolvedPolicy>();
      forApp.set(schema, policy);
      byApp.set(app, forApp);
    } else bySchema.set(schema, policy);
  }
  for (const [schema, fields] of expectations.policies) {
    const policy = bySchema.get(schema);
    const values = (policy?.value?.value ?? {}) as Record<string, unknown>;
    for (const [field, expected] of fields) {
      const rule = `${schema}.${field}`;
      const label = `${filterSchemaLabels[schema as FilterSchema] ?? schema}: ${field}`;
      const actual = values[field];
      // An allow list that is not set allows nothing beyond the block list: as strict as it gets.
      if (actual === undefined && comparisons[rule] === "subset") {
        checks.push({ rule, label, status: "pass", expected });
        continue;
      }
      if (!policy || actual === undefined) {
        checks.push({ rule, label, status: "missing", expected });
        continue;
      }
      checks.push({
        rule,
        label,
        status: fieldHolds(rule, expected, actual) ? "pass" : "drift",
        expected,
        actual: enumValue(actual),
        setById: sourceOf(policy),
      });
    }
  }
  for (const [appId, app] of expectations.apps) {
    const policies = byApp.get(appId);
    const install = policies?.get("chrome.users.apps.InstallType");
    const installed = enumValue((install?.value?.value as { appInstallType?: string } | undefined)?.appInstallType);
    const rule = `app:${appId}`;
    const label = `${app.name}: ${app.installType === "FORCED" ? "force-installed" : "force-installed and pinned"}`;
    if (!install || installed === undefined) checks.push({ rule, label, status: "missing", expected: app.installType });
    else
      checks.push({
        rule,
        label,
        status: (satisfies[app.installType] ?? []).includes(String(installed)) ? "pass" : "drift",
        expected: app.installType,
        actual: installed,
        setById: sourceOf(install),
      });
    if (app.managedConfiguration) {
      const config = policies?.get("chrome.users.apps.ManagedConfiguration");
      const text = (config?.value?.value as { managedConfiguration?: string } | undefined)?.managedConfiguration;
      let actual: unknown;
      try {
        actual = text === undefined ? undefined : JSON.parse(text);
      } catch {
        actual = text;
      }
      const configRule = `app:${appId}:managedConfiguration`;
      const configLabel = `${app.name}: managed configuration`;
      if (actual === undefined)
        checks.push({ rule: configRule, label: configLabel, status: "missing", expected: app.managedConfiguration });
      else
        checks.push({
          rule: configRule,
          label: configLabel,
          status: jsonEqual(actual, app.managedConfiguration) ? "pass" : "drift",
          expected: app.managedConfiguration,
          actual,
          setById: sourceOf(config),
        });
    }
  }
  return checks;
}
