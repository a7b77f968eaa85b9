/**
 * A setting the baseline wants that no OU sets is a gap in filtering, like drift: on the sandbox's
 * demo district (its seeded drift removed), a rule nobody set opens a ticket for the school and the
 * dashboard does not call it "no difference"; a drifted setting that is then unset keeps its ticket
 * open until it holds the baseline's value. The dashboard's verdict is honest when no check result
 * exists yet or the last check failed.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { shippedBaseline } from "../../agent/services/filter-checks";
import { filterVerdict } from "../../shared";
import { createTestAgent, lincoln, type TestAgent, washington } from "../support/agent";
import { seedDistrict } from "../support/district";
import { type SignedIn, signIn } from "../support/staff";

vi.setConfig({ testTimeout: 60_000 });

let agent: TestAgent;
let admin: SignedIn;
const unset = `${lincoln}/Students`;
const toggled = `${washington}/Staff`;
const proxy = "chrome.users.SimpleProxySettings";
const proxyRule = `${proxy}.simpleProxyMode`;

const idOf = (path: string) =>
  agent.google?.sandbox?.context.district.orgUnits
    .find((o) => o.orgUnitPath === path)
    ?.orgUnitId?.replace(/^id:/, "") ?? "";

function localValues(path: string) {
  const policies = agent.google?.sandbox?.context.district.policies;
  const local = policies?.get(idOf(path)) ?? new Map<string, Record<string, unknown>>();
  policies?.set(idOf(path), local);
  return local;
}

interface Dashboard {
  verdict: { kind: string; text: string };
  lastCheck?: { status: string; detail: Record<string, unknown> };
  ous: {
    ouPath: string;
    drift: number;
    missing: number;
    problems: { rule: string; status: string; ticketNumber?: number }[];
  }[];
}

async function runCheck(): Promise<Dashboard> {
  const started = await admin.request("/api/filter/checks", { method: "POST", body: {} });
  expect(started.status, await started.clone().text()).toBe(202);
  await agent.jobs.idle(60_000);
  return (await (await admin.request("/api/filter")).json()) as Dashboard;
}

const problemAt = (dashboard: Dashboard, ouPath: string, rule: string) =>
  dashboard.ous.find((o) => o.ouPath === ouPath)?.problems.find((p) => p.rule === rule);

const ticket = (number: number) =>
  agent.store.db.selectFrom("tickets").selectAll().where("number", "=", number).executeTakeFirstOrThrow();

beforeAll(async () => {
  agent = await createTestAgent(undefined, {}, undefined, { google: true });
  const district = await seedDistrict(agent);
  admin = await signIn(agent, district.districtAdminEmail);
  // No drift anywhere: only what this file sets up.
  agent.google?.sandbox?.context.district.policies.delete(idOf(`${washington}/Students`));
  const shipped = shippedBaseline();
  const saved = await admin.request("/api/filter/baseline", {
    method: "POST",
    body: {
      ...shipped,
      rules: [
        ...shipped.rules,
        { ou: unset, policies: { [proxy]: { simpleProxyMode: "DIRECT" } } },
        { ou: toggled, policies: { [proxy]: { simpleProxyMode: "DIRECT" } } },
      ],
    },
  });
  expect(saved.status, await saved.clone().text()).toBe(201);
  // Washington's staff have their proxy set, as the baseline wants; Lincoln's students have none.
  localValues(toggled).set(proxy, { simpleProxyMode: "DIRECT" });
});
afterAll(() => agent.close());

describe("a baseline setting nobody set", () => {
  it("opens a ticket for the school and notifies it, and the dashboard does not call it no difference", async () => {
    const dashboard = await runCheck();
    expect(dashboard.lastCheck?.status).toBe("succeeded");
    expect(dashboard.ous.filter((o) => o.drift > 0)).toEqual([]);
    const missing = problemAt(dashboard, unset, proxyRule);
    expect(missing).toMatchObject({ status: "missing", ticketNumber: expect.any(Number) });
    const opened = await ticket(missing?.ticketNumber ?? 0);
    expect(opened).toMatchObject({ school: unset, status: "open", queue: "school_it" });
    expect(opened.note).toContain("Proxy mode");
    const notes = await agent.store.db.selectFrom("notifications").selectAll().where("school", "=", unset).execute();
    expect(notes).toHaveLength(1);
    expect(dashboard.verdict.kind).toBe("missing");
    expect(dashboard.verdict.text).not.toContain("No school's filtering differs");
    expect(dashboard.verdict.text).toContain(unset);
  });

  it("keeps a drifted setting's ticket open when it is then unset, and closes it once it holds", async () => {
    localValues(toggled).set(proxy, { simpleProxyMode: "SYSTEM" });
    const drifted = await runCheck();
    const drift = problemAt(drifted, toggled, proxyRule);
    expect(drift).toMatchObject({ status: "drift", ticketNumber: expect.any(Number) });
    const number = drift?.ticketNumber ?? 0;

    localValues(toggled).delete(proxy);
    const unsetNow = await runCheck();
    expect(problemAt(unsetNow, toggled, proxyRule)).toMatchObject({ status: "missing", ticketNumber: number });
    expect(unsetNow.lastCheck?.detail).toMatchObject({ ticketsOpened: [], ticketsClosed: [] });
    expect((await ticket(number)).status).toBe("open");

    localValues(toggled).set(proxy, { simpleProxyMode: "DIRECT" });
    const fixed = await runCheck();
    expect(problemAt(fixed, toggled, proxyRule)).toBeUndefined();
    expect(fixed.lastCheck?.detail).toMatchObject({ ticketsClosed: [number] });
    expect((await ticket(number)).status).toBe("resolved");
  });
});

describe("the dashboard's verdict", () => {
  const clean = [{ ouPath: "/", drift: 0, missing: 0 }];

  it("says nothing differs only when a finished check found every setting as the baseline wants", () => {
    expect(filterVerdict({ ous: clean, running: false, lastCheck: { status: "succeeded" } })).toEqual({
      kind: "clean",
      text: "No school's filtering differs from the baseline.",
    });
    expect(
      filterVerdict({
        ous: [...clean, { ouPath: "/Schools/A", drift: 0, missing: 2 }],
        running: false,
        lastCheck: { status: "succeeded" },
      }).kind,
    ).toBe("missing");
  });

  it("says when there is no result yet: never checked, the first check running, or the last one failed", () => {
    expect(filterVerdict({ ous: [], running: false })).toMatchObject({ kind: "unchecked" });
    expect(filterVerdict({ ous: [], running: true, lastCheck: { status: "running" } })).toMatchObject({
      kind: "unchecked",
    });
    const failed = filterVerdict({
      ous: [],
      running: false,
      lastCheck: { status: "failed", error: "Google said no." },
    });
    expect(failed.kind).toBe("unchecked");
    expect(failed.text).toContain("failed");
    // Results from before a failed check are shown as such.
    const stale = filterVerdict({ ous: clean, running: false, lastCheck: { status: "failed" } });
    expect(stale.text).not.toBe("No school's filtering differs from the baseline.");
    expect(stale.text).toContain("last check that finished");
  });
});
