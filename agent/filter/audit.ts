/**
 * The filter audit's walk: every OU a baseline rule covers, its policies resolved from Google
 * (`policies:resolve`, one call per namespace the rules need, paged), compared with the rules.
 * The Google client paces the calls within the read quota (10 a second per user); OUs run in
 * parallel up to that pace. Answers each OU's checks; storing and acting on them is the caller's.
 */
import type { Baseline } from "../../shared";
import type { DirectoryAdapter } from "../google/directory";
import type { PolicyAdapter } from "../google/policy";
import { type Check, checkOu, type Expectations, expectationsFor } from "./baseline";

export interface AuditedOu {
  ouPath: string;
  ouId: string;
  checks: (Check & { setBy?: string })[];
  /** When its policies were read: a verdict recorded after this is newer than these checks. */
  readAt: string;
}

export interface OrgUnitRef {
  path: string;
  id: string;
}

/** Every OU with its bare id, the root (`/`) first: Google's listing leaves the root out. */
export async function orgUnitsOf(directory: DirectoryAdapter): Promise<OrgUnitRef[]> {
  const units = await directory.listOrgUnits();
  const bare = (id: string | null | undefined) => (id ?? "").replace(/^id:/, "");
  const rootId = bare(units.find((u) => u.parentOrgUnitPath === "/")?.parentOrgUnitId);
  const refs = units
    .filter((u) => u.orgUnitPath !== "/")
    .map((u) => ({ path: u.orgUnitPath ?? "", id: bare(u.orgUnitId) }));
  return [...(rootId ? [{ path: "/", id: rootId }] : []), ...refs.sort((a, b) => a.path.localeCompare(b.path))];
}

/** The `policies:resolve` filters one OU's expectations need (wildcards only in the leaf). */
export function filtersFor(expectations: Expectations): string[] {
  const filters = new Set<string>();
  for (const schema of expectations.policies.keys()) filters.add(`${schema.slice(0, schema.lastIndexOf("."))}.*`);
  if (expectations.apps.size) filters.add("chrome.users.apps.*");
  return [...filters].sort();
}

export async function auditOus(
  policy: PolicyAdapter,
  units: OrgUnitRef[],
  baseline: Baseline,
  options: {
    parallel?: number;
    onOu?: (done: number, total: number) => void;
    /** Audit only these OU paths (the others still name where inherited values come from). */
    only?: ReadonlySet<string>;
    /** The clock the checks are recorded by. */
    now?: () => Date;
  } = {},
): Promise<AuditedOu[]> {
  const targets = units
    .filter((unit) => !options.only || options.only.has(unit.path))
    .map((unit) => ({ unit, expectations: expectationsFor(baseline, unit.path) }))
    .filter((t) => t.expectations.policies.size || t.expectations.apps.size);
  const pathOf = new Map(units.map((u) => [u.id, u.path]));
  const results: AuditedOu[] = new Array(targets.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      const target = targets[index];
      if (!target) return;
      const readAt = (options.now?.() ?? new Date()).toISOString();
      const resolved = (
        await Promise.all(filtersFor(target.expectations).map((filter) => policy.resolve(target.unit.id, filter)))
      ).flat();
      const checks = checkOu(target.expectations, resolved).map((check) => ({
        ...check,
        setBy: check.setById ? (pathOf.get(check.setById) ?? check.setById) : undefined,
      }));
      results[index] = { ouPath: target.unit.path, ouId: target.unit.id, checks, readAt };
      done += 1;
      options.onOu?.(done, targets.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 10) }, worker));
  return results;
}
