/**
 * Every console API route × every role × own school / other school / signed out, each with its
 * expected answer. A route registered without an entry here fails the last test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planRestore } from "../../agent/filter/remediation";
import { policyAdapter } from "../../agent/google/policy";
import { currentBaseline, shippedBaseline } from "../../agent/services/filter-checks";
import { planHash } from "../../agent/services/remediations";
import { resolve } from "../../agent/services/ticket-desk";
import { createTestAgent, type TestAgent } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import {
  type Asker,
  askers,
  type MatrixRoute,
  type RouteContext,
  runMatrixCase,
  throwawayUser,
} from "../support/security-matrix";

const all = (own: number, other: number) =>
  Object.fromEntries(askers.map((a) => [a, [own, other]])) as Record<Asker, [number, number]>;
const by = (table: Record<Asker, [number, number]>) => table;

const deviceOf = (c: RouteContext) =>
  c.school.includes("Lincoln") ? c.district.inventory.lincoln : c.district.inventory.washington;
const serialOf = (c: RouteContext) => (c.school.includes("Lincoln") ? "LHS1234567" : "WMS7654321");
/** Everyone with the filter dashboard: the tech team up, not coaches or building admins. */
const filterReaders: Record<Asker, [number, number]> = {
  ...all(200, 200),
  coach: [403, 403],
  building_admin: [403, 403],
};

/** Changing policy (and pushing apps) in a school: its IT lead and admins, or district-wide admins. */
function policyWriters(ok: number): Record<Asker, [number, number]> {
  return {
    ...all(403, 403),
    school_it_lead: [ok, 403],
    district_admin: [ok, 403],
    district_admin_everywhere: [ok, ok],
  };
}

/** The restore case's dry-run fingerprint, made in its arrange step. */
let reviewedPlan = "";

async function setStatus(c: RouteContext, status: string) {
  await c.agent.store.db.updateTable("devices").set({ status }).where("deviceId", "=", deviceOf(c)).execute();
}
/**
 * A device action in the asker's school and in another: who holds the permission gets `ok`; the
 * tech team and building admin (who can see devices) get `seen` (403, or the tech team's own right);
 * a coach cannot see devices (404); in another school only a district-wide admin sees the device.
 */
function deviceAction(ok: number, techTeam: number): Record<Asker, [number, number]> {
  return {
    student_tech_team: [techTeam === 201 || techTeam === 200 ? ok : 403, 404],
    school_it_lead: [ok, 404],
    district_admin: [ok, 404],
    coach: [404, 404],
    building_admin: [403, 404],
    district_admin_everywhere: [ok, ok],
  };
}

/** Roles in Lincoln: tech team, IT lead, admin (Lincoln only), coach, building admin; then a district-wide admin. */
const routes: MatrixRoute[] = [
  { method: "GET", pattern: "/api/session", path: () => "/api/session", signedOut: 401, expected: all(200, 200) },
  {
    method: "DELETE",
    pattern: "/api/session",
    path: () => "/api/session",
    signedOut: 401,
    expected: all(204, 204),
  },
  {
    method: "POST",
    pattern: "/api/session/sign-out-everywhere",
    path: () => "/api/session/sign-out-everywhere",
    body: () => ({}),
    signedOut: 401,
    expected: all(200, 200),
  },
  {
    method: "POST",
    pattern: "/api/session",
    variant: "unknown account",
    path: () => "/api/session",
    body: () => ({ email: "nobody@lincoln.example.org", password: "wrong" }),
    signedOut: 401,
    expected: all(401, 401),
  },
  { method: "GET", pattern: "/api/tickets", path: () => "/api/tickets", signedOut: 401, expected: all(200, 200) },
  { method: "GET", pattern: "/api/schools", path: () => "/api/schools", signedOut: 401, expected: all(200, 200) },
  {
    method: "GET",
    pattern: "/api/tickets/:number",
    path: (c) => `/api/tickets/${c.ticket}`,
    signedOut: 401,
    expected: { ...all(200, 404), district_admin_everywhere: [200, 200] },
  },
  {
    method: "POST",
    pattern: "/api/tickets/:number/comments",
    path: (c) => `/api/tickets/${c.ticket}/comments`,
    body: () => ({ body: "Checked the charger." }),
    signedOut: 401,
    expected: { ...all(204, 404), district_admin_everywhere: [204, 204] },
  },
  {
    method: "POST",
    pattern: "/api/tickets/:number/assign",
    path: (c) => `/api/tickets/${c.ticket}/assign`,
    body: () => ({ assigneeId: null }),
    signedOut: 401,
    expected: by({
      student_tech_team: [204, 404],
      school_it_lead: [204, 404],
      district_admin: [204, 404],
      coach: [403, 404],
      building_admin: [403, 404],
      district_admin_everywhere: [204, 204],
    }),
  },
  {
    method: "POST",
    pattern: "/api/tickets/:number/escalate",
    variant: "to the school IT lead",
    path: (c) => `/api/tickets/${c.ticket}/escalate`,
    body: () => ({ queue: "school_it", tier: 2, reason: "Needs a new screen" }),
    signedOut: 401,
    expected: by({
      student_tech_team: [204, 404],
      school_it_lead: [204, 404],
      district_admin: [204, 404],
      coach: [403, 404],
      building_admin: [403, 404],
      district_admin_everywhere: [204, 204],
    }),
  },
  {
    method: "POST",
    pattern: "/api/tickets/:number/escalate",
    variant: "to district repair",
    path: (c) => `/api/tickets/${c.ticket}/escalate`,
    body: () => ({ queue: "district_repair", tier: 3, reason: "Hinge broken" }),
    signedOut: 401,
    expected: by({
      student_tech_team: [403, 404],
      school_it_lead: [204, 404],
      district_admin: [204, 404],
      coach: [403, 404],
      building_admin: [403, 404],
      district_admin_everywhere: [204, 204],
    }),
  },
  {
    method: "POST",
    pattern: "/api/tickets/:number/resolve",
    path: (c) => `/api/tickets/${c.ticket}/resolve`,
    body: () => ({ resolution: "Reseated the battery" }),
    signedOut: 401,
    expected: by({
      student_tech_team: [204, 404],
      school_it_lead: [204, 404],
      district_admin: [204, 404],
      coach: [204, 404],
      building_admin: [403, 404],
      district_admin_everywhere: [204, 204],
    }),
  },
  {
    method: "POST",
    pattern: "/api/tickets/:number/reopen",
    path: (c) => `/api/tickets/${c.ticket}/reopen`,
    body: () => ({ reason: "It happened again" }),
    async arrange(c) {
      const admin = await c.agent.store.db
        .selectFrom("staffUsers")
        .selectAll()
        .where("email", "=", c.district.districtAdminEmail)
        .executeTakeFirstOrThrow();
      await resolve(
        c.agent.store.db,
        { user: admin, grants: [{ role: "district_admin", school: "*" }], sessionHash: "" },
        c.ticket,
        "Fixed",
        new Date(),
      );
    },
    signedOut: 401,
    expected: by({
      student_tech_team: [204, 404],
      school_it_lead: [204, 404],
      district_admin: [204, 404],
      coach: [204, 404],
      building_admin: [403, 404],
      district_admin_everywhere: [204, 204],
    }),
  },
  {
    method: "GET",
    pattern: "/api/assignees",
    path: (c) => `/api/assignees?school=${encodeURIComponent(c.school)}`,
    signedOut: 401,
    expected: by({
      student_tech_team: [200, 403],
      school_it_lead: [200, 403],
      district_admin: [200, 403],
      coach: [403, 403],
      building_admin: [403, 403],
      district_admin_everywhere: [200, 200],
    }),
  },
  {
    method: "GET",
    pattern: "/api/devices",
    path: () => "/api/devices",
    signedOut: 401,
    expected: { ...all(200, 200), coach: [403, 403] },
  },
  {
    method: "GET",
    pattern: "/api/devices/:deviceId",
    path: (c) =>
      `/api/devices/${c.school.includes("Lincoln") ? c.district.inventory.lincoln : c.district.inventory.washington}`,
    signedOut: 401,
    expected: { ...all(200, 404), coach: [404, 404], district_admin_everywhere: [200, 200] },
  },
  {
    method: "GET",
    pattern: "/api/jobs",
    path: () => "/api/jobs",
    signedOut: 401,
    expected: by({
      student_tech_team: [403, 403],
      school_it_lead: [200, 200],
      district_admin: [200, 200],
      coach: [403, 403],
      building_admin: [403, 403],
      district_admin_everywhere: [200, 200],
    }),
  },
  {
    method: "POST",
    pattern: "/api/jobs/:name/run",
    path: () => "/api/jobs/noop/run",
    body: () => ({}),
    async arrange(c) {
      while (c.agent.jobs.isRunningHere("noop")) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    signedOut: 401,
    expected: { ...all(403, 403), district_admin_everywhere: [202, 202] },
  },
  {
    method: "GET",
    pattern: "/api/settings/google",
    path: () => "/api/settings/google",
    signedOut: 401,
    expected: { ...all(403, 403), district_admin_everywhere: [200, 200] },
  },
  {
    method: "POST",
    pattern: "/api/settings/google/check",
    path: () => "/api/settings/google/check",
    body: () => ({}),
    signedOut: 401,
    expected: { ...all(403, 403), district_admin_everywhere: [200, 200] },
  },
  {
    method: "GET",
    pattern: "/api/users",
    path: () => "/api/users",
    signedOut: 401,
    expected: { ...all(403, 403), district_admin_everywhere: [200, 200] },
  },
  {
    method: "POST",
    pattern: "/api/users",
    path: () => "/api/users",
    body: () => ({
      email: `new-${crypto.randomUUID()}@lincoln.example.org`,
      displayName: "New",
      grants: [{ role: "coach", school: "*" }],
    }),
    signedOut: 401,
    expected: { ...all(403, 403), district_admin_everywhere: [201, 201] },
  },
  {
    method: "PATCH",
    pattern: "/api/users/:id",
    path: () => "/api/users/placeholder",
    signedOut: 401,
    expected: { ...all(403, 403), district_admin_everywhere: [204, 204] },
  },
  {
    method: "GET",
    pattern: "/api/device-actions",
    path: () => "/api/device-actions",
    signedOut: 401,
    expected: { ...all(200, 200), coach: [403, 403] },
  },
  {
    method: "POST",
    pattern: "/api/device-actions",
    path: () => "/api/device-actions",
    body: (c) => ({ deviceIds: [deviceOf(c)], action: "disable", reason: "Lost on a trip", confirm: serialOf(c) }),
    signedOut: 401,
    expected: deviceAction(202, 403),
  },
  {
    method: "POST",
    pattern: "/api/devices/:deviceId/commands",
    path: (c) => `/api/devices/${deviceOf(c)}/commands`,
    body: (c) => ({ command: "REBOOT", reason: "Frozen screen", confirm: serialOf(c) }),
    arrange: (c) => setStatus(c, "ACTIVE"),
    signedOut: 401,
    expected: deviceAction(202, 403),
  },
  {
    method: "POST",
    pattern: "/api/devices/:deviceId/missing",
    path: (c) => `/api/devices/${deviceOf(c)}/missing`,
    body: () => ({ reason: "Left on the bus" }),
    async arrange(c) {
      await c.agent.store.db.deleteFrom("missingDevices").execute();
    },
    signedOut: 401,
    expected: deviceAction(201, 201),
  },
  {
    method: "POST",
    pattern: "/api/devices/:deviceId/found",
    path: (c) => `/api/devices/${deviceOf(c)}/found`,
    body: () => ({ note: "Back from the bus depot", reenable: false }),
    async arrange(c) {
      await c.agent.store.db.deleteFrom("missingDevices").execute();
      await c.agent.store.db
        .insertInto("missingDevices")
        .values({
          deviceId: deviceOf(c),
          since: new Date().toISOString(),
          reason: "Left on the bus",
          markedById: null,
          markedByName: "Test",
          ticketNumber: null,
          assignedUser: null,
        })
        .execute();
    },
    signedOut: 401,
    expected: deviceAction(200, 200),
  },
  {
    method: "GET",
    pattern: "/api/missing-devices",
    path: () => "/api/missing-devices",
    signedOut: 401,
    expected: { ...all(200, 200), coach: [403, 403] },
  },
  {
    method: "POST",
    pattern: "/api/device-matches",
    path: () => "/api/device-matches",
    body: (c) => ({ text: serialOf(c) }),
    signedOut: 401,
    expected: { ...all(200, 200), coach: [403, 403] },
  },
  {
    method: "POST",
    pattern: "/api/devices/:deviceId/loan",
    path: (c) => `/api/devices/${deviceOf(c)}/loan`,
    body: () => ({ userEmail: "kid@example.org", dueAt: new Date(Date.now() + 86_400_000).toISOString() }),
    async arrange(c) {
      await setStatus(c, "ACTIVE");
      await c.agent.store.db.updateTable("loans").set({ returnedAt: new Date().toISOString() }).execute();
    },
    signedOut: 401,
    expected: deviceAction(201, 403),
  },
  {
    method: "POST",
    pattern: "/api/devices/:deviceId/return",
    path: (c) => `/api/devices/${deviceOf(c)}/return`,
    body: () => ({}),
    async arrange(c) {
      await c.agent.store.db.updateTable("loans").set({ returnedAt: new Date().toISOString() }).execute();
      await c.agent.store.db
        .insertInto("loans")
        .values({
          deviceId: deviceOf(c),
          userEmail: "kid@example.org",
          lentAt: new Date().toISOString(),
          dueAt: new Date(Date.now() + 86_400_000).toISOString(),
          returnedAt: null,
          lentByName: "Test",
        })
        .execute();
    },
    signedOut: 401,
    expected: deviceAction(200, 403),
  },
  {
    method: "GET",
    pattern: "/api/notifications",
    path: () => "/api/notifications",
    signedOut: 401,
    expected: all(200, 200),
  },
  {
    method: "POST",
    pattern: "/api/notifications/:id/read",
    path: () => "/api/notifications/all/read",
    body: () => ({}),
    signedOut: 401,
    expected: all(200, 200),
  },
  ...["/api/audit", "/api/audit/export.csv", "/api/audit/verify"].map(
    (pattern): MatrixRoute => ({
      method: "GET",
      pattern,
      path: () => pattern,
      signedOut: 401,
      expected: {
        ...all(403, 403),
        school_it_lead: [200, 200],
        district_admin: [200, 200],
        district_admin_everywhere: [200, 200],
      },
    }),
  ),
  {
    method: "GET",
    pattern: "/api/return-instructions",
    path: () => "/api/return-instructions",
    signedOut: 401,
    expected: {
      ...all(403, 403),
      school_it_lead: [200, 200],
      district_admin: [200, 200],
      district_admin_everywhere: [200, 200],
    },
  },
  {
    method: "POST",
    pattern: "/api/return-instructions",
    path: () => "/api/return-instructions",
    body: (c) => ({ school: c.school, message: "Please return to the front office. 555-0100" }),
    signedOut: 401,
    expected: {
      ...all(403, 403),
      school_it_lead: [200, 403],
      district_admin: [200, 403],
      district_admin_everywhere: [200, 200],
    },
  },
  {
    method: "GET",
    pattern: "/api/filter",
    path: () => "/api/filter",
    signedOut: 401,
    expected: filterReaders,
  },
  {
    method: "POST",
    pattern: "/api/filter/checks",
    path: () => "/api/filter/checks",
    body: () => ({}),
    // One check at a time: wait for the previous case's check before asking for another.
    arrange: (c) => c.agent.jobs.idle(60_000),
    signedOut: 401,
    expected: { ...all(202, 202), coach: [403, 403], building_admin: [403, 403] },
  },
  {
    method: "GET",
    pattern: "/api/filter/history",
    path: (c) => `/api/filter/history?ou=${encodeURIComponent(c.school)}`,
    signedOut: 401,
    expected: filterReaders,
  },
  {
    method: "GET",
    pattern: "/api/filter/baseline",
    path: () => "/api/filter/baseline",
    signedOut: 401,
    expected: filterReaders,
  },
  {
    method: "POST",
    pattern: "/api/filter/baseline",
    path: () => "/api/filter/baseline",
    body: () => shippedBaseline(),
    signedOut: 401,
    expected: { ...all(403, 403), district_admin_everywhere: [201, 201] },
  },
  {
    method: "POST",
    pattern: "/api/filter/restores/preview",
    path: () => "/api/filter/restores/preview",
    body: (c) => ({ kind: "restore", ouPath: c.school }),
    signedOut: 401,
    expected: policyWriters(200),
  },
  {
    method: "POST",
    pattern: "/api/filter/restores",
    path: () => "/api/filter/restores",
    body: (c) => ({ kind: "restore", ouPath: c.school, planHash: reviewedPlan }),
    // A school with something to restore (SafeSearch turned off there) and nothing queued for it.
    async arrange(c) {
      const district = c.agent.google?.sandbox?.context.district;
      const ou = district?.orgUnits.find((o) => o.orgUnitPath === c.school);
      const id = ou?.orgUnitId?.replace(/^id:/, "") ?? "";
      const local = district?.policies.get(id) ?? new Map<string, Record<string, unknown>>();
      local.set("chrome.users.SafeSearchRestrictedMode", { forceGoogleSafeSearch: false });
      district?.policies.set(id, local);
      await c.agent.store.db.deleteFrom("remediations").execute();
      const google = c.agent.google?.client;
      if (!google) throw new Error("the matrix agent has no Google");
      const { baseline } = await currentBaseline(c.agent.store.db);
      const plan = await planRestore(policyAdapter(google), { path: c.school, id }, baseline);
      reviewedPlan = planHash(plan.writes);
    },
    signedOut: 401,
    expected: policyWriters(202),
  },
  {
    method: "GET",
    pattern: "/api/filter/restores",
    path: () => "/api/filter/restores",
    signedOut: 401,
    expected: filterReaders,
  },
  {
    method: "POST",
    pattern: "/api/filter/apps",
    path: () => "/api/filter/apps",
    body: (c) => ({
      ouPath: c.school,
      app: { appId: "chrome:ddddeeeeffffgggghhhhiiiijjjjkkkk", name: "Content filter", installType: "FORCED" },
    }),
    signedOut: 401,
    expected: policyWriters(200),
  },
  {
    method: "POST",
    pattern: "/api/filter/apps/techdesk",
    path: () => "/api/filter/apps/techdesk",
    body: (c) => ({ school: c.school }),
    signedOut: 401,
    expected: policyWriters(200),
  },
];

// PATCH needs a real account to change: made per case.
const patchRoute = routes.find((r) => r.method === "PATCH") as MatrixRoute;
let pendingUserId = "";
patchRoute.arrange = async (c) => {
  pendingUserId = await throwawayUser(c.agent);
};
patchRoute.path = () => `/api/users/${pendingUserId}`;
patchRoute.body = () => ({ displayName: "Renamed" });

/** Routes outside the console's session API, each with why it is not in the matrix. */
const notSessionRoutes: Record<string, string> = {
  "GET /healthz": "public health check",
  "GET /api/auth/methods": "public: which sign-in methods the sign-in page offers",
  "GET /api/auth/google": "public: starts Google sign-in; tested in google-signin.test.ts",
  "GET /api/auth/google/callback": "public: Google sign-in's return; tested in google-signin.test.ts",
  "GET /*": "the console's HTML shell (public; every piece of data comes from /api)",
  "POST /v1/enroll": "enrollment token; tested in enroll.test.ts",
  "POST /v1/reports": "device credential; tested in reports.test.ts",
  "POST /v1/compliance": "device credential; tested in compliance.test.ts",
  "GET /v1/device/tickets": "device credential; tested in device-tickets.test.ts",
  "GET /v1/staff/tickets": "staff API token; tested in staff-tickets.test.ts",
  "GET /v1/staff/tickets/:number": "staff API token; tested in staff-tickets.test.ts",
};

let agent: TestAgent;
let district: District;
beforeAll(async () => {
  // Every case files a ticket from one device per school: hundreds in a minute, past a device's limit.
  agent = await createTestAgent(undefined, {}, undefined, {
    google: true,
    deviceLimits: { reports: { burst: 10_000, perHour: 10_000 } },
  });
  district = await seedDistrict(agent);
});
afterAll(() => agent.close());

describe.each(routes)("$method $pattern $variant", (route) => {
  it.each([...askers, "signed_out" as const])("as %s", async (asker) => {
    await runMatrixCase(agent, district, route, asker, "own");
    if (asker !== "signed_out") await runMatrixCase(agent, district, route, asker, "other");
  });
});

describe("the matrix", () => {
  it("has an entry for every route the app registers", () => {
    const registered = agent.app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path}`)
      .filter((key, i, list) => list.indexOf(key) === i);
    const covered = new Set([...routes.map((r) => `${r.method} ${r.pattern}`), ...Object.keys(notSessionRoutes)]);
    const missing = registered.filter((key) => !covered.has(key));
    expect(missing, "routes without a security matrix entry").toEqual([]);
  });
});
