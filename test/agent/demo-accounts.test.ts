import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureDemoAccounts } from "../../agent/cli/demo-accounts";
import { loadConfig } from "../../agent/config";
import { staffRoles } from "../../shared";
import { createTestAgent, type TestAgent } from "../support/agent";
import { signIn } from "../support/staff";

let agent: TestAgent;
beforeEach(async () => {
  agent = await createTestAgent();
});
afterEach(() => agent.close());

const demo = loadConfig({
  TECHDESK_MODE: "demo",
  ENROLLMENT_TOKENS: "demo-enrollment-0001",
  STAFF_API_TOKEN: "x".repeat(24),
});

describe("demo accounts", () => {
  it("makes one account per role that can sign in, and the same ones on the next start", async () => {
    const first = await ensureDemoAccounts(agent.store.db, demo, {});
    expect(first.map((a) => a.role)).toEqual([...staffRoles]);
    const again = await ensureDemoAccounts(
      agent.store.db,
      demo,
      Object.fromEntries(first.map((a) => [a.role, a.password])),
    );
    expect(again).toEqual(first);
    for (const account of first) await signIn(agent, account.email, account.password);
  });

  it("is never made outside demo mode", async () => {
    await expect(ensureDemoAccounts(agent.store.db, agent.config, {})).rejects.toThrow(/only made in demo mode/);
    expect(await agent.store.db.selectFrom("staffUsers").selectAll().execute()).toEqual([]);
  });
});
