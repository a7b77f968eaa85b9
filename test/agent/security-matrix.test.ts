/**
 * Every console API route × every role × own school / other school / signed out, each with its
 * expected answer. A route registered without an entry here fails the last test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolve } from "../../agent/services/ticket-desk";
import { createTestAgent, type TestAgent } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { type Asker, askers, type MatrixRoute, runMatrixCase, throwawayUser } from "../support/security-matrix";

const all = (own: number, other: number) =>
  Object.fromEntries(askers.map((a) => [a, [own, other]])) as Record<Asker, [number, number]>;
const by = (table: Record<Asker, [number, number]>) => table;

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
  "GET /v1/device/tickets": "device credential; tested in device-tickets.test.ts",
  "GET /v1/staff/tickets": "staff API token; tested in staff-tickets.test.ts",
  "GET /v1/staff/tickets/:number": "staff API token; tested in staff-tickets.test.ts",
};

let agent: TestAgent;
let district: District;
beforeAll(async () => {
  agent = await createTestAgent(undefined, {}, undefined, { google: true });
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
