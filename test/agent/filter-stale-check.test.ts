/**
 * The hourly filter check reads the whole district for minutes; a restore's recheck of one OU can
 * record a newer verdict meanwhile. The check's older reading of that OU must not be recorded over it:
 * it would mark fixed drift again and open a ticket for it. On the sandbox's demo district, whose
 * Washington Middle students drift.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type AuditedOu, auditOus, orgUnitsOf } from "../../agent/filter/audit";
import { directoryAdapter } from "../../agent/google/directory";
import { policyAdapter } from "../../agent/google/policy";
import { currentBaseline, recordCheck } from "../../agent/services/filter-checks";
import { createTestAgent, type TestAgent, washington } from "../support/agent";

vi.setConfig({ testTimeout: 60_000 });

let agent: TestAgent;
const drifted = `${washington}/Students`;

beforeAll(async () => {
  agent = await createTestAgent(undefined, {}, undefined, { google: true });
});
afterAll(() => agent.close());

async function check(at: Date, only?: string): Promise<AuditedOu[]> {
  const google = agent.google?.client;
  if (!google) throw new Error("the test agent runs on the sandbox");
  const units = await orgUnitsOf(directoryAdapter(google));
  const { baseline } = await currentBaseline(agent.store.db);
  return auditOus(policyAdapter(google), units, baseline, { now: () => at, ...(only && { only: new Set([only]) }) });
}

const stateOf = (ouPath: string) =>
  agent.store.db
    .selectFrom("filterState")
    .select(["rule", "status"])
    .where("ouPath", "=", ouPath)
    .orderBy("rule")
    .execute();

describe("a full filter check that read an OU before its recheck", () => {
  it("keeps the recheck's newer verdict and opens no ticket for drift already fixed", async () => {
    const { version } = (await currentBaseline(agent.store.db)).baseline;
    // 1. The hourly check reads the district: Washington's students drift.
    const full = await check(new Date("2026-12-01T09:00:00Z"));
    expect(full.find((ou) => ou.ouPath === drifted)?.checks.some((c) => c.status === "drift")).toBe(true);
    // 2. While it walks, the drift is fixed (its local values removed) and the restore's recheck records it.
    const district = agent.google?.sandbox?.context.district;
    const id = district?.orgUnits.find((o) => o.orgUnitPath === drifted)?.orgUnitId?.replace(/^id:/, "") ?? "";
    district?.policies.delete(id);
    const recheck = await check(new Date("2026-12-01T09:01:00Z"), drifted);
    await recordCheck(agent.store.db, recheck, version, new Date("2026-12-01T09:01:00Z"), { partial: true });
    const rechecked = await stateOf(drifted);
    expect(rechecked.length).toBeGreaterThan(0);
    expect(rechecked.every((r) => r.status === "pass")).toBe(true);
    // 3. The hourly check records what it read at 09:00.
    const summary = await recordCheck(agent.store.db, full, version, new Date("2026-12-01T09:02:00Z"));
    expect(await stateOf(drifted)).toEqual(rechecked);
    expect(summary.ticketsOpened).toEqual([]);
    expect(summary.drift).toBe(0);
    // Every other OU it read is recorded as usual.
    expect(summary.ous).toBe(full.length - 1);
    expect((await stateOf(washington)).length).toBeGreaterThan(0);
  });
});
