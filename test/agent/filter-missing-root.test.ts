/**
 * A setting the baseline requires that nobody set at the root is missing at every OU below it: on
 * the sandbox's demo district, that is one ticket and one notification at the root (where setting it
 * fixes every OU), not one per OU. A school that sets it itself is not missing; a recheck of one OU
 * after a restore joins the root's ticket; and once the root sets it, the ticket closes.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { shippedBaseline } from "../../agent/services/filter-checks";
import { createTestAgent, lincoln, type TestAgent } from "../support/agent";
import { seedDistrict } from "../support/district";
import { type SignedIn, signIn } from "../support/staff";

vi.setConfig({ testTimeout: 60_000 });

let agent: TestAgent;
let admin: SignedIn;
const proxy = "chrome.users.SimpleProxySettings";
const proxyRule = `${proxy}.simpleProxyMode`;
const techdesk = "chrome:hclbedhgmicmhmlakomhbojpgaokbmko";
/** Sets the proxy itself at first: not missing there. */
const local = `${lincoln}/Students`;

const district = () => {
  const sandbox = agent.google?.sandbox;
  if (!sandbox) throw new Error("The test agent has no sandbox.");
  return sandbox.context.district;
};
const idOf = (path: string) =>
  district()
    .orgUnits.find((o) => o.orgUnitPath === path)
    ?.orgUnitId?.replace(/^id:/, "") ?? "";

function localValues(path: string) {
  const local = district().policies.get(idOf(path)) ?? new Map<string, Record<string, unknown>>();
  district().policies.set(idOf(path), local);
  return local;
}

interface Dashboard {
  lastCheck?: { status: string; detail: { ticketsOpened: number[]; ticketsClosed: number[] } };
  ous: { ouPath: string; problems: { rule: string; status: string; ticketNumber?: number }[] }[];
}

async function runCheck(): Promise<Dashboard> {
  const started = await admin.request("/api/filter/checks", { method: "POST", body: {} });
  expect(started.status, await started.clone().text()).toBe(202);
  await agent.jobs.idle(60_000);
  return (await (await admin.request("/api/filter")).json()) as Dashboard;
}

const proxyProblems = (dashboard: Dashboard) =>
  dashboard.ous.flatMap((o) => o.problems.filter((p) => p.rule === proxyRule).map((p) => ({ ou: o.ouPath, ...p })));

const filterTickets = () =>
  agent.store.db.selectFrom("tickets").selectAll().where("enrollmentId", "=", "techdesk-system").execute();
const filterNotifications = () =>
  agent.store.db.selectFrom("notifications").selectAll().where("title", "like", "Filter%").execute();

beforeAll(async () => {
  agent = await createTestAgent(undefined, {}, undefined, { google: true });
  const seeded = await seedDistrict(agent);
  admin = await signIn(agent, seeded.districtAdminEmail);
  // Only the root sets policy: no drift anywhere, only the missing setting.
  for (const id of [...district().policies.keys()]) if (id !== "root") district().policies.delete(id);
  const shipped = shippedBaseline();
  const saved = await admin.request("/api/filter/baseline", {
    method: "POST",
    body: { ...shipped, rules: [...shipped.rules, { ou: "/", policies: { [proxy]: { simpleProxyMode: "DIRECT" } } }] },
  });
  expect(saved.status, await saved.clone().text()).toBe(201);
  localValues(local).set(proxy, { simpleProxyMode: "DIRECT" });
});
afterAll(() => agent.close());

describe("a required setting nobody set at the root", () => {
  let number = 0;

  it("opens one ticket at the root and notifies once; every OU missing it points to that ticket", async () => {
    const dashboard = await runCheck();
    expect(dashboard.lastCheck?.status).toBe("succeeded");
    expect(dashboard.lastCheck?.detail.ticketsOpened).toHaveLength(1);
    number = dashboard.lastCheck?.detail.ticketsOpened[0] ?? 0;
    const missing = proxyProblems(dashboard);
    const walked = district().orgUnits.length;
    // Every OU but the one school OU that sets it itself.
    expect(missing).toHaveLength(walked - 1);
    expect(missing.map((p) => p.ou)).toContain("/");
    expect(missing.map((p) => p.ou)).not.toContain(local);
    expect(missing.every((p) => p.status === "missing" && p.ticketNumber === number)).toBe(true);
    expect(await filterTickets()).toEqual([expect.objectContaining({ number, school: "/", status: "open" })]);
    const notes = await filterNotifications();
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ school: "/", link: `#/tickets/${number}` });
  });

  it("joins the root's ticket when a recheck of one OU after a restore finds it missing there", async () => {
    // Lincoln's students lose their own proxy setting, and TechDesk is blocked there: restore the app.
    localValues(local).delete(proxy);
    localValues(local).set(`chrome.users.apps.InstallType#app_id=${techdesk}`, { appInstallType: "BLOCKED" });
    const preview = await admin.request("/api/filter/restores/preview", {
      method: "POST",
      body: { kind: "apps", ouPath: local },
    });
    expect(preview.status, await preview.clone().text()).toBe(200);
    const { planHash } = (await preview.json()) as { planHash: string };
    const queued = await admin.request("/api/filter/restores", {
      method: "POST",
      body: { kind: "apps", ouPath: local, planHash },
    });
    expect(queued.status, await queued.clone().text()).toBe(202);
    expect(await agent.remediations?.drain(30_000)).toBe(true);

    const state = await agent.store.db
      .selectFrom("filterState")
      .select(["status", "ticketNumber"])
      .where("ouPath", "=", local)
      .where("rule", "=", proxyRule)
      .executeTakeFirstOrThrow();
    expect(state).toEqual({ status: "missing", ticketNumber: number });
    expect(await filterTickets()).toHaveLength(1);
    expect(await filterNotifications()).toHaveLength(1);
  });

  it("closes the ticket once the root sets it", async () => {
    localValues("/").set(proxy, { simpleProxyMode: "DIRECT" });
    const fixed = await runCheck();
    expect(proxyProblems(fixed)).toEqual([]);
    expect(fixed.lastCheck?.detail.ticketsClosed).toEqual([number]);
    expect(await filterTickets()).toEqual([expect.objectContaining({ number, status: "resolved" })]);
    expect(await filterNotifications()).toHaveLength(1);
  });
});
