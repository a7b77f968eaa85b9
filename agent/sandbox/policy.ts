/**
 * Chrome Policy API as Google serves it: `policies:resolve` through the OU tree, `orgunits:batchModify`
 * and `orgunits:batchInherit` (one root namespace a batch, 30 writes a minute a customer) and schemas.
 */
import type { Context, Hono } from "hono";
import type { SandboxDistrict } from "./district";
import { googleError } from "./errors";
import { page, pageOffset, pageSizeOf } from "./paging";
import { describeSchema, namespaceOf, namespaces, type SchemaSpec, schemaSpecs } from "./policy-schemas";
import { badRequest, jsonBody, resolvePolicies, targetOf } from "./policy-store";
import { batchInherit, batchModify } from "./policy-writes";
import type { SandboxContext } from "./server";

export const maxPoliciesPerPage = 1000;
export const maxSchemasPerPage = 1000;
export const defaultPolicyWritesPerMinute = 30;
export const defaultPolicyReadsPerSecond = 10;

/** `chrome.users.IncognitoMode`, `chrome.users.*`, `chrome.users.apps.*`: wildcards only in the leaf. */
function schemaMatcher(filter: unknown): ((schema: string) => boolean) | string {
  if (typeof filter !== "string" || !filter) return "policySchemaFilter is required.";
  const namespace = namespaceOf(filter);
  if (namespace.includes("*") || !namespaces.includes(namespace)) {
    return `Invalid policySchemaFilter ${filter}: wildcards are allowed only in the leaf of a known namespace.`;
  }
  const leaf = filter.slice(namespace.length + 1);
  const pattern = new RegExp(`^${leaf.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^.]*")}$`);
  return (schema) => namespaceOf(schema) === namespace && pattern.test(schema.slice(namespace.length + 1));
}

async function resolve(c: Context, district: SandboxDistrict) {
  const body = await jsonBody(c);
  const match = schemaMatcher(body.policySchemaFilter);
  if (typeof match === "string") return badRequest(c, match);
  const size = pageSizeOf(body.pageSize, maxPoliciesPerPage);
  if (size === undefined) {
    return badRequest(c, `Invalid pageSize ${String(body.pageSize)}: it must be within [0, ${maxPoliciesPerPage}].`);
  }
  const target = targetOf(c, district, body.policyTargetKey);
  if (target instanceof Response) return target;
  const listing = JSON.stringify([body.policySchemaFilter, target.id, target.keys ?? {}]);
  const offset = pageOffset(body.pageToken, listing);
  if (offset === undefined) return badRequest(c, "Invalid pageToken.");
  const { items, nextPageToken } = page(resolvePolicies(district, target, match), offset, size, listing);
  return c.json({ resolvedPolicies: items, nextPageToken });
}

/**
 * The `policySchemas` filter: a bare string (name or description contains it), `name=` (contains),
 * `namespace=` (exact), `description=`, `additional_target_key_names=`, `field_name=`, joined with AND.
 */
function schemaFilter(filter: string): ((spec: SchemaSpec) => boolean) | string {
  if (/(^|\s)(OR|NOT)\s/i.test(filter)) return "The sandbox supports only AND in policySchemas filters.";
  const terms = filter
    .replace(/[()]/g, " ")
    .split(/\s+AND\s+/i)
    .map((t) => t.trim())
    .filter(Boolean);
  const tests: ((spec: SchemaSpec) => boolean)[] = [];
  for (const term of terms) {
    const [, key, raw] = term.match(/^(\w+)\s*=\s*(.+)$/) ?? [undefined, "", term];
    const value = (raw ?? "").replace(/^"|"$/g, "").toLowerCase();
    const has = (text: string) => text.toLowerCase().includes(value);
    const test = {
      "": (s: SchemaSpec) => has(s.name) || has(s.description),
      name: (s: SchemaSpec) => has(s.name),
      namespace: (s: SchemaSpec) => namespaceOf(s.name).toLowerCase() === value,
      description: (s: SchemaSpec) => has(s.description),
      additional_target_key_names: (s: SchemaSpec) => (s.targetKeys ?? []).includes(value),
      field_name: (s: SchemaSpec) => s.fields.some((f) => f.name.toLowerCase() === value),
    }[(key ?? "").toLowerCase()];
    if (!test) return `Unsupported filter field: ${key}.`;
    tests.push(test);
  }
  return (spec) => tests.every((t) => t(spec));
}

function listSchemas(c: Context, district: SandboxDistrict) {
  const q = c.req.query();
  const size = pageSizeOf(q.pageSize, maxSchemasPerPage);
  if (size === undefined) return badRequest(c, `Invalid pageSize ${q.pageSize}.`);
  const match = schemaFilter(q.filter ?? "");
  if (typeof match === "string") return badRequest(c, match);
  const offset = pageOffset(q.pageToken, `schemas|${q.filter ?? ""}`);
  if (offset === undefined) return badRequest(c, "Invalid pageToken.");
  const specs = schemaSpecs.filter(match).sort((a, b) => (a.name < b.name ? -1 : 1));
  const { items, nextPageToken } = page(specs, offset, size, `schemas|${q.filter ?? ""}`);
  return c.json({ policySchemas: items.map((s) => describeSchema(district.customerId, s)), nextPageToken });
}

function getSchema(c: Context, district: SandboxDistrict, name: string) {
  const spec = schemaSpecs.find((s) => s.name === name);
  if (!spec) return googleError(c, 404, "notFound", `Policy schema ${name} not found.`);
  return c.json(describeSchema(district.customerId, spec));
}

/** Google's write quota: calls a customer made in the last minute, refused past the limit. */
function writeQuota(context: SandboxContext) {
  const calls = new Map<string, number[]>();
  return (customerId: string, now = Date.now()) => {
    const limit = context.policyWritesPerMinute;
    const recent = (calls.get(customerId) ?? []).filter((t) => now - t < context.policyWriteWindowMs);
    const over = limit > 0 && recent.length >= limit;
    if (over) context.quotaRefusals.writes += 1;
    else recent.push(now);
    calls.set(customerId, recent);
    return over;
  };
}

/** Google's read quota: `policies:resolve` calls a user made in the last second, refused past the limit. */
function readQuota(context: SandboxContext) {
  const calls = new Map<string, number[]>();
  return (user: string, now = Date.now()) => {
    const limit = context.policyReadsPerSecond;
    const recent = (calls.get(user) ?? []).filter((t) => now - t < 1000);
    const over = limit > 0 && recent.length >= limit;
    if (over) context.quotaRefusals.reads += 1;
    else recent.push(now);
    calls.set(user, recent);
    return over;
  };
}

export function registerPolicy(app: Hono, context: SandboxContext) {
  const { district } = context;
  const overWriteQuota = writeQuota(context);
  const overReadQuota = readQuota(context);

  // Paths with a colon (`policies:resolve`, `orgunits:batchModify`) are dispatched by hand.
  app.on(["GET", "POST"], "/v1/customers/:customer/*", async (c, next) => {
    const rest = decodeURIComponent(c.req.path.replace(/^\/v1\/customers\/[^/]+\//, ""));
    const post = c.req.method === "POST";
    const write = post && (rest === "policies/orgunits:batchModify" || rest === "policies/orgunits:batchInherit");
    const schema = !post && rest.match(/^policySchemas(?:\/([^/]+))?$/);
    if (!write && !schema && !(post && rest === "policies:resolve")) return next();
    const customer = c.req.param("customer");
    if (customer !== "my_customer" && customer !== district.customerId) {
      return googleError(c, 404, "notFound", `Customer ${customer} not found.`);
    }
    if (schema) return schema[1] ? getSchema(c, district, schema[1]) : listSchemas(c, district);
    if (!write) {
      if (overReadQuota(c.req.header("authorization") ?? "anonymous"))
        return googleError(
          c,
          429,
          "rateLimitExceeded",
          "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per second per user'.",
          "usageLimits",
        );
      return resolve(c, district);
    }
    // Every write call counts against the quota, as Google counts requests, valid or not.
    if (overWriteQuota(district.customerId)) {
      return googleError(
        c,
        429,
        "rateLimitExceeded",
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per customer'.",
        "usageLimits",
      );
    }
    return rest.endsWith(":batchModify") ? batchModify(c, district) : batchInherit(c, district);
  });
}
