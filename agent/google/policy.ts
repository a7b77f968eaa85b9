/**
 * Chrome Policy adapter: resolve an OU's effective policies (with the OU that set each one), write
 * whole values grouped by namespace, and return an OU to inheriting. Typed with `googleapis`' types.
 */
import type { chromepolicy_v1 } from "googleapis/build/src/apis/chromepolicy/index.js";
import { type GoogleClient, noGaxiosRetry } from "./client";
import { chunk } from "./directory";

export type ResolvedPolicy = chromepolicy_v1.Schema$GoogleChromePolicyVersionsV1ResolvedPolicy;

/** Google's limits: 1,000 resolved policies a page; one root namespace (`chrome.users`) a batch. */
export const policiesPerPage = 1000;
/** Requests per batchModify call: Google documents no cap; we keep calls to a size it is seen to take. */
export const writesPerBatch = 1000;

export interface PolicyWrite {
  orgUnitId: string;
  policySchema: string;
  value: Record<string, unknown>;
  /** Extra keys, e.g. `{ app_id: "chrome:<extension id>" }` for app policies. */
  additionalTargetKeys?: Record<string, string>;
}

/** `chrome.users.IncognitoMode` → `chrome.users`: batches may not mix these. */
export function rootNamespace(schema: string): string {
  return schema.split(".").slice(0, 2).join(".");
}

/**
 * Which batch a write may share: Google refuses a batchModify that mixes root namespaces, or targets
 * whose additional target key names differ ("All policyTargetKeys in a batch must have the same
 * additionalTargetKeys names").
 */
export function batchKey(write: Pick<PolicyWrite, "policySchema" | "additionalTargetKeys">): string {
  return `${rootNamespace(write.policySchema)}|${Object.keys(write.additionalTargetKeys ?? {})
    .sort()
    .join(",")}`;
}

export function policyAdapter(google: GoogleClient) {
  const customer = `customers/${google.customerId}`;
  const policies = google.policy.customers.policies;
  const target = (orgUnitId: string, additionalTargetKeys?: Record<string, string>) => ({
    targetResource: `orgunits/${orgUnitId.replace(/^id:/, "")}`,
    ...(additionalTargetKeys ? { additionalTargetKeys } : {}),
  });

  return {
    /** Every policy matching `filter` (e.g. `chrome.users.*`) in effect for one OU, all pages. */
    resolve: async function resolve(
      orgUnitId: string,
      filter: string,
      additionalTargetKeys?: Record<string, string>,
    ): Promise<ResolvedPolicy[]> {
      const resolved: ResolvedPolicy[] = [];
      let pageToken: string | undefined;
      do {
        const data = await google.call("policy", "policies.resolve", () =>
          policies.resolve(
            {
              customer,
              requestBody: {
                policySchemaFilter: filter,
                policyTargetKey: target(orgUnitId, additionalTargetKeys),
                pageSize: policiesPerPage,
                pageToken,
              },
            },
            noGaxiosRetry,
          ),
        );
        resolved.push(...(data.resolvedPolicies ?? []));
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken);
      return resolved;
    },

    /**
     * Writes whole values (lists replaced, never edited in place): one call per batch Google takes,
     * that is per root namespace and set of additional target key names (a setting and an app policy
     * at the same OU go in two calls).
     */
    modify: async function modify(writes: PolicyWrite[]): Promise<number> {
      const byBatch = new Map<string, PolicyWrite[]>();
      for (const write of writes) {
        const key = batchKey(write);
        byBatch.set(key, [...(byBatch.get(key) ?? []), write]);
      }
      let calls = 0;
      for (const group of byBatch.values()) {
        for (const part of chunk(group, writesPerBatch)) {
          await google.call("policy", "policies.orgunits.batchModify", () =>
            policies.orgunits.batchModify(
              {
                customer,
                requestBody: {
                  requests: part.map((w) => ({
                    policyTargetKey: target(w.orgUnitId, w.additionalTargetKeys),
                    policyValue: { policySchema: w.policySchema, value: w.value },
                    updateMask: Object.keys(w.value).join(","),
                  })),
                },
              },
              noGaxiosRetry,
            ),
          );
          calls += 1;
        }
      }
      return calls;
    },

    /** Removes an OU's own values so it inherits from its parent again. */
    inherit: async function inherit(orgUnitId: string, policySchemas: string[]): Promise<void> {
      const byNamespace = new Map<string, string[]>();
      for (const schema of policySchemas)
        byNamespace.set(rootNamespace(schema), [...(byNamespace.get(rootNamespace(schema)) ?? []), schema]);
      for (const group of byNamespace.values()) {
        await google.call("policy", "policies.orgunits.batchInherit", () =>
          policies.orgunits.batchInherit(
            {
              customer,
              requestBody: {
                requests: group.map((policySchema) => ({ policyTargetKey: target(orgUnitId), policySchema })),
              },
            },
            noGaxiosRetry,
          ),
        );
      }
    },

    schemas: async function schemas(filter?: string) {
      const data = await google.call("policy", "policySchemas.list", () =>
        google.policy.customers.policySchemas.list({ parent: customer, filter }, noGaxiosRetry),
      );
      return data.policySchemas ?? [];
    },
  };
}

export type PolicyAdapter = ReturnType<typeof policyAdapter>;
