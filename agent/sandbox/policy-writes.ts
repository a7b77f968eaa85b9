/**
 * Chrome Policy writes: `orgunits:batchModify` and `orgunits:batchInherit`, each batch checked whole
 * against Google's rules before anything changes.
 */
import type { Context } from "hono";
import type { SandboxDistrict } from "./district";
import { invalidValue, rootNamespaceOf, type SchemaSpec, schemaSpec } from "./policy-schemas";
import {
  badRequest,
  effectiveValue,
  jsonBody,
  localValues,
  type PolicyTarget,
  policyKey,
  targetOf,
} from "./policy-store";

interface Write {
  target: PolicyTarget;
  spec: SchemaSpec;
}

async function requestsOf(c: Context): Promise<Record<string, unknown>[] | Response> {
  const body = await jsonBody(c);
  if (!Array.isArray(body.requests) || !body.requests.length) return badRequest(c, "requests must not be empty.");
  return body.requests as Record<string, unknown>[];
}

/** A request's target and schema: a known schema, with exactly the additional target keys it needs. */
function writeOf(c: Context, district: SandboxDistrict, targetKey: unknown, schemaName: unknown): Write | Response {
  const target = targetOf(c, district, targetKey);
  if (target instanceof Response) return target;
  const spec = schemaSpec(String(schemaName ?? ""));
  if (!spec) return badRequest(c, `Policy schema ${String(schemaName)} not found.`);
  const needed = [...(spec.targetKeys ?? [])].sort().join(",");
  const given = Object.keys(target.keys ?? {})
    .sort()
    .join(",");
  if (needed !== given) {
    return badRequest(c, `${spec.name} needs additionalTargetKeys [${needed}], got [${given}].`);
  }
  return { target, spec };
}

/** Google's batch rules: one root namespace, the same target key names, no schema and target twice. */
function batchRefusal(writes: Write[]): string | undefined {
  const roots = new Set(writes.map((w) => rootNamespaceOf(w.spec.name)));
  if (roots.size > 1) return `All requests in a batch must share one root namespace, not ${[...roots].join(" and ")}.`;
  const keyNames = new Set(
    writes.map((w) =>
      Object.keys(w.target.keys ?? {})
        .sort()
        .join(","),
    ),
  );
  if (keyNames.size > 1) return "All policyTargetKeys in a batch must have the same additionalTargetKeys names.";
  const pairs = writes.map((w) => `${w.target.id}|${policyKey(w.spec.name, w.target.keys)}`);
  if (new Set(pairs).size < pairs.length) return "Two requests in the batch name the same policySchema and target.";
  return undefined;
}

/** An update mask as JSON sends a FieldMask (`"a,b"`), or as `{ paths: [...] }`. */
function maskPaths(mask: unknown): string[] {
  if (typeof mask === "string") {
    return mask
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
  }
  const paths = (mask as { paths?: unknown } | null | undefined)?.paths;
  return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === "string" && p !== "") : [];
}

export async function batchModify(c: Context, district: SandboxDistrict) {
  const requests = await requestsOf(c);
  if (requests instanceof Response) return requests;
  const changes: (Write & { paths: string[]; fields: Record<string, unknown> })[] = [];
  for (const request of requests) {
    const policyValue = (request.policyValue ?? {}) as { policySchema?: unknown; value?: unknown };
    const write = writeOf(c, district, request.policyTargetKey, policyValue.policySchema);
    if (write instanceof Response) return write;
    const paths = maskPaths(request.updateMask);
    if (!paths.length) return badRequest(c, "updateMask is required: it names the fields to write.");
    const fields = (policyValue.value ?? {}) as Record<string, unknown>;
    for (const path of paths) {
      const why = invalidValue(write.spec, path, fields[path]);
      if (why) return badRequest(c, why);
    }
    changes.push({ ...write, paths, fields });
  }
  const refusal = batchRefusal(changes);
  if (refusal) return badRequest(c, refusal);
  for (const { target, spec, paths, fields } of changes) {
    // Fields outside the mask keep the value the OU has now (local or inherited); lists are replaced whole.
    const next = structuredClone(effectiveValue(district, target, spec.name) ?? {});
    for (const path of paths) next[path] = structuredClone(fields[path]);
    localValues(district, target.id, true)?.set(policyKey(spec.name, target.keys), next);
  }
  return c.json({});
}

export async function batchInherit(c: Context, district: SandboxDistrict) {
  const requests = await requestsOf(c);
  if (requests instanceof Response) return requests;
  const writes: Write[] = [];
  for (const request of requests) {
    const write = writeOf(c, district, request.policyTargetKey, request.policySchema);
    if (write instanceof Response) return write;
    writes.push(write);
  }
  const refusal = batchRefusal(writes);
  if (refusal) return badRequest(c, refusal);
  for (const { target, spec } of writes) localValues(district, target.id)?.delete(policyKey(spec.name, target.keys));
  return c.json({});
}
