/**
 * Restoring an OU to its baseline: the dry run (what would be written, field by field, next to what
 * is there now) and the writes themselves, whole values grouped by namespace through
 * `orgunits:batchModify`. Lists are written whole: a block list keeps what it blocks beyond the
 * baseline, an allow list keeps only what the baseline allows (and an absent one stays absent). The
 * merge is made again from the list as it is when the write goes out (`refreshLists`), so an entry
 * added while a restore waited is not lost. Enum values go out under Google's full names, read from
 * the policy schemas.
 */
import type { chromepolicy_v1 } from "googleapis/build/src/apis/chromepolicy/index.js";
import { type Baseline, urlListLimit } from "../../shared";
import type { PolicyAdapter, PolicyWrite } from "../google/policy";
import { filtersFor, type OrgUnitRef } from "./audit";
import { type Check, checkOu, enumValue, expectationsFor } from "./baseline";

export interface PlannedWrite {
  policySchema: string;
  /** The fields written, with their new values (enum values by their short names, as shown). */
  value: Record<string, unknown>;
  /** What those fields hold now (absent when unset). */
  current: Record<string, unknown>;
  additionalTargetKeys?: Record<string, string>;
  label: string;
  /** The baseline's entries for each list field written, merged again with the list at write time. */
  lists?: Record<string, unknown[]>;
}

export interface RestorePlan {
  ou: OrgUnitRef;
  checks: Check[];
  writes: PlannedWrite[];
}

/** A field's restored value; undefined for an allow list that is not set (none allows the least). */
function restoredValue(rule: string, expected: unknown, actual: unknown): unknown {
  if (rule.endsWith(".urlBlocklist"))
    return [...new Set([...(Array.isArray(actual) ? actual : []), ...(expected as unknown[])])];
  if (rule.endsWith(".urlAllowlist"))
    return Array.isArray(actual) ? actual.filter((v) => (expected as unknown[]).includes(v)) : undefined;
  return expected;
}

const isList = (rule: string) => rule.endsWith(".urlBlocklist") || rule.endsWith(".urlAllowlist");

type Schema = chromepolicy_v1.Schema$GoogleChromePolicyVersionsV1PolicySchema;

/** Google's name for a short enum value (`UNAVAILABLE` → `INCOGNITO_MODE_AVAILABILITY_ENUM_UNAVAILABLE`). */
export function fullEnumName(schema: Schema | undefined, field: string, value: unknown): unknown {
  if (typeof value !== "string" || !schema?.definition) return value;
  const definition = schema.definition;
  const spec = definition.messageType?.[0]?.field?.find((f) => f.name === field);
  if (spec?.type !== "TYPE_ENUM" || !spec.typeName) return value;
  const typeName = spec.typeName.replace(/^.*\./, "");
  const values = definition.enumType?.find((e) => e.name?.replace(/^.*\./, "") === typeName)?.value ?? [];
  return values.find((v) => v.name === value || v.name?.endsWith(`_ENUM_${value}`))?.name ?? value;
}

/** What a remediation puts right: all of an OU's baseline, or only its apps and extensions. */
export type RemediationKind = "restore" | "apps";

/** The dry run: every write that would bring `ou` back to the baseline, next to what is there now. */
export async function planRestore(
  policy: PolicyAdapter,
  ou: OrgUnitRef,
  baseline: Baseline,
  kind: RemediationKind = "restore",
): Promise<RestorePlan> {
  const expectations = expectationsFor(baseline, ou.path);
  if (kind === "apps") expectations.policies.clear();
  const resolved = (await Promise.all(filtersFor(expectations).map((f) => policy.resolve(ou.id, f)))).flat();
  const checks = checkOu(expectations, resolved);
  const failing = checks.filter((c) => c.status !== "pass");
  const bySchema = new Map<string, PlannedWrite>();
  for (const check of failing.filter((c) => !c.rule.startsWith("app:"))) {
    const schema = check.rule.slice(0, check.rule.lastIndexOf("."));
    const field = check.rule.slice(check.rule.lastIndexOf(".") + 1);
    const write = bySchema.get(schema) ?? {
      policySchema: schema,
      value: {},
      current: {},
      label: check.label.split(":")[0] ?? schema,
    };
    const value = restoredValue(check.rule, check.expected, check.actual);
    if (value === undefined) continue;
    write.value[field] = value;
    if (check.actual !== undefined) write.current[field] = check.actual;
    if (isList(check.rule)) write.lists = { ...write.lists, [field]: check.expected as unknown[] };
    bySchema.set(schema, write);
  }
  const writes = [...bySchema.values()];
  for (const [appId, app] of expectations.apps) {
    const install = failing.find((c) => c.rule === `app:${appId}`);
    if (install)
      writes.push({
        policySchema: "chrome.users.apps.InstallType",
        value: { appInstallType: app.installType },
        current: install.actual === undefined ? {} : { appInstallType: install.actual },
        additionalTargetKeys: { app_id: appId },
        label: `${app.name}: install type`,
      });
    const config = failing.find((c) => c.rule === `app:${appId}:managedConfiguration`);
    if (config && app.managedConfiguration)
      writes.push({
        policySchema: "chrome.users.apps.ManagedConfiguration",
        value: { managedConfiguration: app.managedConfiguration },
        current: config.actual === undefined ? {} : { managedConfiguration: config.actual },
        additionalTargetKeys: { app_id: appId },
        label: `${app.name}: managed configuration`,
      });
  }
  return { ou, checks, writes };
}

/**
 * The plan's list writes merged again with the lists as Google holds them now: a block list written
 * whole would otherwise drop what an admin added after the dry run (a restore may wait out Google's
 * backoff or a dead worker's claim). Writes left with nothing to write are dropped.
 */
export async function refreshLists(
  policy: PolicyAdapter,
  ouId: string,
  writes: PlannedWrite[],
): Promise<PlannedWrite[]> {
  const refreshed: PlannedWrite[] = [];
  for (const write of writes) {
    if (!write.lists || write.additionalTargetKeys) {
      refreshed.push(write);
      continue;
    }
    const resolved = await policy.resolve(ouId, write.policySchema);
    const now = resolved.find(
      (p) => p.value?.policySchema === write.policySchema && !p.targetKey?.additionalTargetKeys,
    );
    const values = (now?.value?.value ?? {}) as Record<string, unknown>;
    const value = { ...write.value };
    const current = { ...write.current };
    for (const [field, expected] of Object.entries(write.lists)) {
      const actual = values[field];
      const merged = restoredValue(`${write.policySchema}.${field}`, expected, actual);
      if (merged === undefined) delete value[field];
      else value[field] = merged;
      if (actual === undefined) delete current[field];
      else current[field] = actual;
    }
    if (Object.keys(value).length) refreshed.push({ ...write, value, current });
  }
  return refreshed;
}

const listNames: Record<string, string> = { urlBlocklist: "URL block list", urlAllowlist: "URL allow list" };

/**
 * Why a restore must not go out, or undefined: a merged block list (what the OU blocks ∪ what the
 * baseline requires) can outgrow Google's limit, and a write Google refuses fixes nothing.
 */
export function oversizedList(ouPath: string, writes: PlannedWrite[]): string | undefined {
  for (const write of writes)
    for (const [field, value] of Object.entries(write.value)) {
      const name = listNames[field];
      if (!name || !Array.isArray(value) || value.length <= urlListLimit) continue;
      return (
        `The restore of ${ouPath} would make its ${name} ${value.length.toLocaleString("en-US")} entries long, ` +
        `and Google takes at most ${urlListLimit.toLocaleString("en-US")}. Nothing was sent to Google. ` +
        `Remove entries that are no longer needed from the ${name} at ${ouPath}, or from the baseline, then restore it again.`
      );
    }
  return undefined;
}

/** The plan's writes as Google takes them: full enum names, managed configuration as JSON text. */
export async function toPolicyWrites(
  policy: PolicyAdapter,
  ouId: string,
  writes: PlannedWrite[],
): Promise<PolicyWrite[]> {
  const schemas = new Map<string, Schema | undefined>();
  for (const write of writes)
    if (!schemas.has(write.policySchema))
      schemas.set(write.policySchema, (await policy.schemas(`name=${write.policySchema}`))[0]);
  return writes.map((write) => ({
    orgUnitId: ouId,
    policySchema: write.policySchema,
    additionalTargetKeys: write.additionalTargetKeys,
    value: Object.fromEntries(
      Object.entries(write.value).map(([field, value]) => [
        field,
        field === "managedConfiguration" && typeof value !== "string"
          ? JSON.stringify(value)
          : fullEnumName(schemas.get(write.policySchema), field, enumValue(value)),
      ]),
    ),
  }));
}
