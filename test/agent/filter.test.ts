/**
 * /api/filter on the sandbox's demo district (Washington Middle's students drifted): a tech team
 * member runs a check and sees the drift with the OU that set it; a ticket opens for Washington's
 * IT lead, who is notified; a second check opens nothing new; the IT lead restores the OU from a
 * dry run; the writes are audited, the drift closes itself and so does its ticket. Also: the
 * baseline's editor, pushing TechDesk to a school, and who may do what.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../agent/config";
import { techdeskApp } from "../../agent/routes/filter";
import { createTestAgent, lincoln, type TestAgent, washington } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { type SignedIn, signIn } from "../support/staff";

let agent: TestAgent;
let district: District;
let techTeam: SignedIn;
let washingtonLead: SignedIn;
let lincolnLead: SignedIn;
let admin: SignedIn;
const drifted = `${washington}/Students`;

beforeAll(async () => {
  agent = await createTestAgent(undefined, { PUBLIC_URL: "https://techdesk.district.example.org" }, undefined, {
    google: true,
  });
  district = await seedDistrict(agent);
  techTeam = await signIn(agent, district.staffEmail("student_tech_team"));
  lincolnLead = await signIn(agent, district.staffEmail("school_it_lead"));
  washingtonLead = await signIn(agent, "lead@washington.example.org");
  admin = await signIn(agent, district.districtAdminEmail);
});
afterAll(() => agent.close());

// A check resolves ~40 policies at Google's read pace (10 a second): seconds, not milliseconds.
vi.setConfig({ testTimeout: 60_000 });

interface Dashboard {
  baselineVersion: number;
  running: boolean;
  lastCheck?: { status: string; detail: Record<string, unknown> };
  ous: {
    ouPath: string;
    pass: number;
    drift: number;
    missing: number;
    problems: {
      rule: string;
      status: string;
      actual?: unknown;
      expected?: unknown;
      setBy?: string;
      ticketNumber?: number;
    }[];
  }[];
  canRun: boolean;
  canChangePolicy: boolean;
  queue: { remediations: { ouPath: string; state: string }[]; writesWaiting: number };
}

async function runCheck(who: SignedIn): Promise<Dashboard> {
  const started = await who.request("/api/filter/checks", { method: "POST", body: {} });
  expect(started.status, await started.clone().text()).toBe(202);
  await agent.jobs.idle(60_000);
  const response = await who.request("/api/filter");
  expect(response.status).toBe(200);
  return (await response.json()) as Dashboard;
}

const ticketsAbout = () =>
  agent.store.db.selectFrom("tickets").selectAll().where("enrollmentId", "=", "techdesk-system").execute();

describe("filter integrity checks", () => {
  it("lets a tech team member run a check and see the drifted school, with the OU that set each value", async () => {
    const dashboard = await runCheck(techTeam);
    expect(dashboard.canRun).toBe(true);
    expect(dashboard.canChangePolicy).toBe(false);
    expect(dashboard.lastCheck?.status).toBe("succeeded");
    expect(dashboard.lastCheck?.detail).toMatchObject({ ticketsOpened: [expect.any(Number)] });
    // Lincoln's tech team sees Lincoln (and district-wide OUs are not theirs): no drift there.
    expect(dashboard.ous.map((o) => o.ouPath)).toContain(`${lincoln}/Students`);
    expect(dashboard.ous.some((o) => o.ouPath.startsWith(washington))).toBe(false);
    expect(dashboard.ous.every((o) => o.drift === 0)).toBe(true);

    const all = (await (await admin.request("/api/filter")).json()) as Dashboard;
    const bad = all.ous.filter((o) => o.drift > 0);
    expect(bad.map((o) => o.ouPath)).toEqual([drifted]);
    expect(bad[0]?.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          rule: "chrome.users.IncognitoMode.incognitoModeAvailability",
          status: "drift",
          expected: "UNAVAILABLE",
          actual: "AVAILABLE",
          setBy: drifted,
        }),
        expect.objectContaining({
          rule: "chrome.users.SafeSearchRestrictedMode.forceGoogleSafeSearch",
          actual: false,
          setBy: drifted,
        }),
      ]),
    );
  });

  it("opens one ticket for the school's IT lead and notifies them; a second check opens nothing new", async () => {
    const opened = await ticketsAbout();
    expect(opened).toEqual([expect.objectContaining({ school: drifted, queue: "school_it", status: "open" })]);
    expect(opened[0]?.note).toContain("Incognito");
    const notes = (await (await washingtonLead.request("/api/notifications")).json()) as {
      notifications: { title: string; link?: string }[];
    };
    expect(notes.notifications).toEqual(
      expect.arrayContaining([expect.objectContaining({ title: `Filter drift at ${drifted}` })]),
    );
    const lincolnNotes = (await (await lincolnLead.request("/api/notifications")).json()) as {
      notifications: { title: string }[];
    };
    expect(lincolnNotes.notifications.some((n) => n.title.startsWith("Filter drift"))).toBe(false);

    const again = await runCheck(admin);
    expect(again.lastCheck?.detail).toMatchObject({ ticketsOpened: [], newProblems: 0 });
    expect(await ticketsAbout()).toHaveLength(1);
    const history = (await (await admin.request(`/api/filter/history?ou=${encodeURIComponent(drifted)}`)).json()) as {
      history: { rule: string; resolvedAt?: string }[];
    };
    expect(history.history.filter((h) => !h.resolvedAt).length).toBeGreaterThanOrEqual(2);
  });

  it("refuses a second check while one runs, and checks from roles without the permission", async () => {
    const coach = await signIn(agent, district.staffEmail("coach"));
    expect((await coach.request("/api/filter")).status).toBe(403);
    expect((await coach.request("/api/filter/checks", { method: "POST", body: {} })).status).toBe(403);
    const first = await admin.request("/api/filter/checks", { method: "POST", body: {} });
    expect(first.status).toBe(202);
    const second = await admin.request("/api/filter/checks", { method: "POST", body: {} });
    expect(second.status).toBe(409);
    await agent.jobs.idle(60_000);
  });
});

describe("restoring an OU to its baseline", () => {
  interface Preview {
    ouPath: string;
    writes: { policySchema: string; value: Record<string, unknown>; current: Record<string, unknown> }[];
    planHash: string;
  }

  it("is not the tech team's, nor another school's IT lead's", async () => {
    const body = { kind: "restore", ouPath: drifted };
    expect((await techTeam.request("/api/filter/restores/preview", { method: "POST", body })).status).toBe(403);
    expect((await lincolnLead.request("/api/filter/restores/preview", { method: "POST", body })).status).toBe(403);
    const unknown = await admin.request("/api/filter/restores/preview", {
      method: "POST",
      body: { kind: "restore", ouPath: "/Schools/Nowhere" },
    });
    expect(unknown.status).toBe(404);
    const bad = await admin.request("/api/filter/restores/preview", {
      method: "POST",
      body: { kind: "restore", ouPath: "Schools" },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("OU path");
  });

  it("shows a dry run, refuses a stale one, applies the reviewed writes, audits them, and closes the drift", async () => {
    const preview = await washingtonLead.request("/api/filter/restores/preview", {
      method: "POST",
      body: { kind: "restore", ouPath: drifted },
    });
    expect(preview.status, await preview.clone().text()).toBe(200);
    const plan = (await preview.json()) as Preview;
    expect(plan.writes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          policySchema: "chrome.users.IncognitoMode",
          value: { incognitoModeAvailability: "UNAVAILABLE" },
          current: { incognitoModeAvailability: "AVAILABLE" },
        }),
        expect.objectContaining({ policySchema: "chrome.users.SafeSearchRestrictedMode" }),
      ]),
    );
    // Nothing is written by a dry run.
    expect(agent.google?.sandbox?.context.quotaRefusals.writes).toBe(0);

    const stale = await washingtonLead.request("/api/filter/restores", {
      method: "POST",
      body: { kind: "restore", ouPath: drifted, planHash: "0123456789abcdef" },
    });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain("changed since your dry run");

    const applied = await washingtonLead.request("/api/filter/restores", {
      method: "POST",
      body: { kind: "restore", ouPath: drifted, planHash: plan.planHash },
    });
    expect(applied.status, await applied.clone().text()).toBe(202);
    const twice = await washingtonLead.request("/api/filter/restores", {
      method: "POST",
      body: { kind: "restore", ouPath: drifted, planHash: plan.planHash },
    });
    expect([409]).toContain(twice.status);
    expect(await agent.remediations?.drain(60_000)).toBe(true);

    const queue = (await (await washingtonLead.request("/api/filter/restores")).json()) as {
      remediations: { ouPath: string; state: string; googleCalls?: number }[];
    };
    expect(queue.remediations[0]).toMatchObject({ ouPath: drifted, state: "applied", googleCalls: 1 });

    // The worker checked the OU again: the drift is gone, its history closed, its ticket resolved.
    const dashboard = (await (await admin.request("/api/filter")).json()) as Dashboard;
    expect(dashboard.ous.find((o) => o.ouPath === drifted)).toMatchObject({ drift: 0, missing: 0 });
    const [ticket] = await ticketsAbout();
    expect(ticket?.status).toBe("resolved");
    const audit = await agent.store.db
      .selectFrom("auditLog")
      .selectAll()
      .where("action", "like", "filter.restore.%")
      .orderBy("seq")
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      "filter.restore.requested",
      ...plan.writes.map(() => "filter.restore.applied"),
    ]);
    expect(new Set(audit.map((a) => a.actorName))).toEqual(new Set(["lead"]));

    // And a check from scratch agrees.
    const next = await runCheck(techTeam);
    expect(next.lastCheck?.detail).toMatchObject({ drift: 0 });
    const nothing = await washingtonLead.request("/api/filter/restores/preview", {
      method: "POST",
      body: { kind: "restore", ouPath: drifted },
    });
    expect(((await nothing.json()) as Preview).writes).toEqual([]);
  });
});

describe("the baseline", () => {
  it("is read by the tech team, edited only district-wide, versioned and audited", async () => {
    const read = (await (await techTeam.request("/api/filter/baseline")).json()) as {
      baseline: { version: number; rules: { ou: string }[] };
      canEdit: boolean;
    };
    expect(read.canEdit).toBe(false);
    expect(read.baseline.rules[0]?.ou).toBe("/");
    const edited = { ...read.baseline, description: "Ours", version: 99 };
    expect((await washingtonLead.request("/api/filter/baseline", { method: "POST", body: edited })).status).toBe(403);
    const saved = await admin.request("/api/filter/baseline", { method: "POST", body: edited });
    expect(saved.status, await saved.clone().text()).toBe(201);
    const version = ((await saved.json()) as { baseline: { version: number } }).baseline.version;
    expect(version).toBe(read.baseline.version + 1);
    const invalid = await admin.request("/api/filter/baseline", {
      method: "POST",
      body: { rules: [{ ou: "/", policies: { "chrome.users.Nonsense": {} } }] },
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain("The baseline is not valid");
    // A block list Google would refuse could never be restored: refused when saved.
    const tooLong = Array.from({ length: 1001 }, (_, i) => `blocked-${i}.example.com`);
    const oversized = await admin.request("/api/filter/baseline", {
      method: "POST",
      body: { rules: [{ ou: "/", policies: { "chrome.users.UrlBlocking": { urlBlocklist: tooLong } } }] },
    });
    expect(oversized.status).toBe(400);
    expect(await oversized.text()).toContain("urlBlocklist has 1,001 entries; Google takes at most 1,000");
    // One stored before that rule still loads, so its editor can fix it.
    const stored = structuredClone({ ...read.baseline, version: 1000 });
    const first = stored.rules[0] as unknown as { policies: Record<string, Record<string, unknown>> };
    first.policies["chrome.users.UrlBlocking"] = {
      ...first.policies["chrome.users.UrlBlocking"],
      urlBlocklist: tooLong,
    };
    await agent.store.db
      .insertInto("baselines")
      .values({
        version: 1000,
        content: JSON.stringify(stored),
        savedByName: "older TechDesk",
        savedAt: new Date().toISOString(),
      })
      .execute();
    try {
      const loaded = await admin.request("/api/filter/baseline");
      expect(loaded.status, await loaded.clone().text()).toBe(200);
      expect(((await loaded.json()) as { baseline: { version: number } }).baseline.version).toBe(1000);
    } finally {
      await agent.store.db.deleteFrom("baselines").where("version", "=", 1000).execute();
    }
    const versions = (await (await admin.request("/api/filter/baseline")).json()) as {
      versions: { version: number; savedBy: string }[];
    };
    expect(versions.versions[0]).toMatchObject({ version, savedBy: "admin" });
  });
});

describe("pushing TechDesk to a school", () => {
  it("previews TechDesk configured for the school, then declares and pushes it in one action", async () => {
    const preview = await lincolnLead.request("/api/filter/apps/techdesk", {
      method: "POST",
      body: { school: lincoln },
    });
    expect(preview.status, await preview.clone().text()).toBe(200);
    const plan = (await preview.json()) as {
      app: { managedConfiguration: Record<string, { Value: string }> };
      writes: { policySchema: string }[];
      planHash: string;
    };
    expect(plan.app.managedConfiguration.agentUrl?.Value).toBe("https://techdesk.district.example.org");
    const lincolnToken = agent.config.enrollmentTokens.find((t) => t.school === lincoln)?.token;
    expect(plan.app.managedConfiguration.enrollmentToken?.Value).toBe(lincolnToken);
    // TechDesk is already force-installed from the root: only its configuration is new here.
    expect(plan.writes.map((w) => w.policySchema)).toEqual(["chrome.users.apps.ManagedConfiguration"]);
    expect(
      (await washingtonLead.request("/api/filter/apps/techdesk", { method: "POST", body: { school: lincoln } })).status,
    ).toBe(403);

    const pushed = await lincolnLead.request("/api/filter/apps/techdesk", {
      method: "POST",
      body: { school: lincoln, planHash: plan.planHash },
    });
    expect(pushed.status, await pushed.clone().text()).toBe(202);
    expect(await agent.remediations?.drain(60_000)).toBe(true);
    const sandbox = agent.google?.sandbox?.context.district;
    const lincolnId = sandbox?.orgUnits.find((o) => o.orgUnitPath === lincoln)?.orgUnitId?.replace(/^id:/, "") ?? "";
    const config = sandbox?.policies
      .get(lincolnId)
      ?.get("chrome.users.apps.ManagedConfiguration#app_id=chrome:hclbedhgmicmhmlakomhbojpgaokbmko");
    expect(JSON.parse(String(config?.managedConfiguration))).toEqual({
      agentUrl: { Value: "https://techdesk.district.example.org" },
      enrollmentToken: { Value: lincolnToken },
    });
    // The tech team reads the baseline with the token hidden.
    const seen = JSON.stringify(await (await techTeam.request("/api/filter/baseline")).json());
    expect(seen).toContain("techdesk.district.example.org");
    expect(seen).not.toContain(lincolnToken);
    // The reconcile job finds Lincoln in step now.
    const outcome = await agent.jobs.run("app-reconcile", "manual");
    expect(outcome).toMatchObject({ ran: true, status: "succeeded" });
    const run = await agent.store.db
      .selectFrom("jobRuns")
      .selectAll()
      .where("job", "=", "app-reconcile")
      .executeTakeFirstOrThrow();
    expect(JSON.parse(run.detail)).toMatchObject({ queued: [], inStep: 2 });
  });

  it("the reconcile job queues what drifted from the declared apps, and the worker puts it back", async () => {
    const sandbox = agent.google?.sandbox?.context.district;
    const lincolnId = sandbox?.orgUnits.find((o) => o.orgUnitPath === lincoln)?.orgUnitId?.replace(/^id:/, "") ?? "";
    // Someone removes TechDesk's configuration at Lincoln in the Admin console.
    sandbox?.policies
      .get(lincolnId)
      ?.delete("chrome.users.apps.ManagedConfiguration#app_id=chrome:hclbedhgmicmhmlakomhbojpgaokbmko");
    await agent.jobs.run("app-reconcile", "manual");
    const run = await agent.store.db
      .selectFrom("jobRuns")
      .selectAll()
      .where("job", "=", "app-reconcile")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(JSON.parse(run.detail)).toMatchObject({
      queued: [{ ouPath: lincoln, changes: ["TechDesk: managed configuration"] }],
    });
    expect(await agent.remediations?.drain(60_000)).toBe(true);
    expect(
      sandbox?.policies
        .get(lincolnId)
        ?.get("chrome.users.apps.ManagedConfiguration#app_id=chrome:hclbedhgmicmhmlakomhbojpgaokbmko"),
    ).toBeDefined();
  });

  it("pushes any extension to an OU the same way, with its managed configuration, and refuses a bad app id", async () => {
    const app = {
      appId: "chrome:ddddeeeeffffgggghhhhiiiijjjjkkkk",
      name: "District content filter",
      installType: "FORCED",
      managedConfiguration: { district: { Value: "demo" } },
    };
    const ouPath = `${lincoln}/Students`;
    const bad = await lincolnLead.request("/api/filter/apps", {
      method: "POST",
      body: { ouPath, app: { ...app, appId: "chrome:not-an-id" } },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("chrome:<32 letters a-p>");
    const preview = await lincolnLead.request("/api/filter/apps", { method: "POST", body: { ouPath, app } });
    expect(preview.status, await preview.clone().text()).toBe(200);
    const plan = (await preview.json()) as { writes: { policySchema: string }[]; planHash: string };
    expect(plan.writes.map((w) => w.policySchema)).toEqual([
      "chrome.users.apps.InstallType",
      "chrome.users.apps.ManagedConfiguration",
    ]);
    const pushed = await lincolnLead.request("/api/filter/apps", {
      method: "POST",
      body: { ouPath, app, planHash: plan.planHash },
    });
    expect(pushed.status, await pushed.clone().text()).toBe(202);
    expect(await agent.remediations?.drain(60_000)).toBe(true);
    const sandbox = agent.google?.sandbox?.context.district;
    const id = sandbox?.orgUnits.find((o) => o.orgUnitPath === ouPath)?.orgUnitId?.replace(/^id:/, "") ?? "";
    const local = sandbox?.policies.get(id);
    expect(local?.get(`chrome.users.apps.InstallType#app_id=${app.appId}`)).toEqual({
      appInstallType: "APP_INSTALL_TYPE_ENUM_FORCED",
    });
    expect(
      JSON.parse(
        String(local?.get(`chrome.users.apps.ManagedConfiguration#app_id=${app.appId}`)?.managedConfiguration),
      ),
    ).toEqual(app.managedConfiguration);
  });
});

describe("TechDesk's managed configuration for a school", () => {
  it("carries the nearest school's enrollment token, whatever order the tokens were given in", () => {
    const config = loadConfig({
      ENROLLMENT_TOKENS:
        "/Schools=district-wide-token-01,/Schools/Lincoln High=lincoln-token-000001,plain-token-000000001",
      STAFF_API_TOKEN: "x".repeat(24),
    });
    const tokenFor = (ou: string) =>
      (
        techdeskApp(config, ou, "https://techdesk.example").managedConfiguration as {
          enrollmentToken: { Value: string };
        }
      ).enrollmentToken.Value;
    expect(tokenFor("/Schools/Lincoln High/Students")).toBe("lincoln-token-000001");
    expect(tokenFor("/Schools/Lincoln High")).toBe("lincoln-token-000001");
    expect(tokenFor("/Schools/Washington Middle")).toBe("district-wide-token-01");
    expect(tokenFor("/Staff")).toBe("plain-token-000000001");
  });
});
