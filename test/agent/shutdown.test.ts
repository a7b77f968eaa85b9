/**
 * The agent shutting down: requests already in flight are answered before the workers, Google and
 * the store go away; new ones are refused. A real agent on a data directory, with a slow sandbox.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startAgent } from "../../agent/server";
import { createStaffUser } from "../../agent/services/staff-accounts";
import { testConfig } from "../support/agent";

const dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-shutdown-"));
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe("the agent shutting down", () => {
  it("answers a request in flight, then refuses new ones", { timeout: 30_000 }, async () => {
    // Each sandbox answer takes a second, so the connection check is still waiting on Google when the agent is told to stop.
    const agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir, SANDBOX_LATENCY_MS: "1000" }));
    const password = "a-long-admin-password";
    await createStaffUser(agent.store.db, {
      email: "admin@district.example.org",
      displayName: "Admin",
      password,
      grants: [{ role: "district_admin", school: "*" }],
    });
    const origin = new URL(agent.url).origin;
    const session = await fetch(`${agent.url}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ email: "admin@district.example.org", password }),
    });
    expect(session.status).toBe(201);
    const cookie = (session.headers.get("set-cookie") ?? "").split(";")[0] ?? "";

    // The start-up connection check first, so the next call the sandbox counts is this request's.
    await expect.poll(() => agent.google.status.checkedAt, { timeout: 10_000 }).toBeDefined();
    const sandbox = agent.google.sandbox?.context.faults;
    if (!sandbox) throw new Error("the test agent runs on the sandbox");
    const callsBefore = sandbox.calls;
    const check = fetch(`${agent.url}/api/settings/google/check`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, origin },
      body: "{}",
    });
    // Stop once the check is in the agent's hands, waiting on the sandbox for a second.
    await expect.poll(() => sandbox.calls, { interval: 10, timeout: 10_000 }).toBeGreaterThan(callsBefore);
    const closed = agent.close();

    const answer = await check;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ ok: true, message: expect.stringMatching(/^Connected/) });
    await expect(fetch(`${agent.url}/healthz`)).rejects.toThrow();
    await closed;
  });
});
