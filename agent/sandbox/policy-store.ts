/**
 * How the sandbox keeps Chrome policy values, reads their targets and resolves them through the OU tree.
 *
 * `district.policies` maps a bare OU id to its locally set values, keyed by schema name. A value that
 * needs additional target keys (app policies: `app_id`) is keyed by the schema name followed by each
 * key in name order as `#name=value`, e.g. `chrome.users.apps.InstallType#app_id=chrome:abcdef…`.
 */
import type { chromepolicy_v1 } from "googleapis";
import type { Context } from "hono";
import { ancestry, type DirectoryOrgUnit, orgUnitById, type SandboxDistrict } from "./district";
import { googleError } from "./errors";

type ResolvedPolicy = chromepolicy_v1.Schema$GoogleChromePolicyVersionsV1ResolvedPolicy;
export type TargetKeys = Record<string, string>;
type Values = Map<string, Record<string, unknown>>;

export interface PolicyTarget {
  ou: DirectoryOrgUnit;
  /** The OU id without `id:`, as `orgunits/{id}` names it. */
  id: string;
  keys?: TargetKeys;
}

export const bareId = (ou: DirectoryOrgUnit) => (ou.orgUnitId ?? "").replace(/^id:/, "");

export function policyKey(schema: string, keys?: TargetKeys): string {
  const names = Object.keys(keys ?? {}).sort();
  return schema + names.map((name) => `#${name}=${keys?.[name]}`).join("");
}

export function parsePolicyKey(key: string): { schema: string; keys?: TargetKeys } {
  const [schema = "", ...parts] = key.split("#");
  if (!parts.length) return { schema };
  const keys: TargetKeys = {};
  for (const part of parts) {
    const eq = part.indexOf("=");
    keys[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return { schema, keys };
}

const sameKeys = (a: TargetKeys | undefined, b: TargetKeys | undefined) =>
  policyKey("", a ?? {}) === policyKey("", b ?? {});

export function localValues(district: SandboxDistrict, ouId: string, create = false): Values | undefined {
  let values = district.policies.get(ouId);
  if (!values && create) {
    values = new Map();
    district.policies.set(ouId, values);
  }
  return values;
}

/** The nearest OU up the tree (the OU itself first) holding a local value for this key. */
function nearest(district: SandboxDistrict, ou: DirectoryOrgUnit, key: string) {
  for (const unit of ancestry(district, ou)) {
    const value = district.policies.get(bareId(unit))?.get(key);
    if (value) return { unit, value };
  }
  return undefined;
}

/** The value a target has now (local or inherited), which a partial update starts from. */
export function effectiveValue(district: SandboxDistrict, target: PolicyTarget, schema: string) {
  return nearest(district, target.ou, policyKey(schema, target.keys))?.value;
}

/**
 * Every policy with a value somewhere up the tree whose schema passes `match`, nearest value winning,
 * sorted by schema and keys. With target keys, only values for those keys; without, all of them.
 */
export function resolvePolicies(
  district: SandboxDistrict,
  target: PolicyTarget,
  match: (schema: string) => boolean,
): ResolvedPolicy[] {
  const found = new Map<string, DirectoryOrgUnit>();
  for (const unit of ancestry(district, target.ou)) {
    for (const key of district.policies.get(bareId(unit))?.keys() ?? []) {
      if (found.has(key)) continue;
      const { schema, keys } = parsePolicyKey(key);
      if (!match(schema) || (target.keys && !sameKeys(keys, target.keys))) continue;
      found.set(key, unit);
    }
  }
  return [...found.keys()].sort().map((key) => {
    const { schema, keys } = parsePolicyKey(key);
    const source = found.get(key) as DirectoryOrgUnit;
    const withKeys = (id: string) => ({
      targetResource: `orgunits/${id}`,
      ...(keys && { additionalTargetKeys: keys }),
    });
    const resolved: ResolvedPolicy = {
      targetKey: withKeys(target.id),
      sourceKey: withKeys(bareId(source)),
      value: { policySchema: schema, value: structuredClone(district.policies.get(bareId(source))?.get(key)) },
    };
    // An app is managed from the OU where its install type was set: Google reports that as addedSourceKey.
    if (keys?.app_id) {
      const added = nearest(district, target.ou, policyKey("chrome.users.apps.InstallType", keys));
      if (added) resolved.addedSourceKey = withKeys(bareId(added.unit));
    }
    return resolved;
  });
}

export const badRequest = (c: Context, message: string) => googleError(c, 400, "badRequest", message);

export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const body = await c.req.json().catch(() => ({}));
  return body && typeof body === "object" ? (body as Record<string, unknown>) : {};
}

/** `{ targetResource: "orgunits/{id}", additionalTargetKeys? }` → the OU it names. */
export function targetOf(c: Context, district: SandboxDistrict, key: unknown): PolicyTarget | Response {
  const { targetResource, additionalTargetKeys } = (key ?? {}) as {
    targetResource?: unknown;
    additionalTargetKeys?: unknown;
  };
  const match = typeof targetResource === "string" ? targetResource.match(/^orgunits\/([^/]+)$/) : null;
  if (!match) return badRequest(c, `Invalid target resource: ${String(targetResource)}. Expected orgunits/{id}.`);
  const ou = orgUnitById(district, match[1] as string);
  if (!ou) return googleError(c, 404, "notFound", `Org unit ${match[1]} not found.`);
  const keys =
    additionalTargetKeys && typeof additionalTargetKeys === "object" && Object.keys(additionalTargetKeys).length
      ? (additionalTargetKeys as TargetKeys)
      : undefined;
  return { ou, id: (match[1] as string).replace(/^id:/, ""), keys };
}
