/**
 * The security matrix helper: runs one console API route for every role, in the person's own school
 * and in another school, and signed out, and checks each answer against the route's table.
 */
import { expect } from "vitest";
import { createStaffUser } from "../../agent/services/staff-accounts";
import type { StaffRole } from "../../shared";
import type { TestAgent } from "./agent";
import type { District } from "./district";
import { signIn } from "./staff";

/** Who is asking: a role granted in Lincoln only, or a district-wide admin. */
export type Asker = StaffRole | "district_admin_everywhere";
export const askers: Asker[] = [
  "student_tech_team",
  "school_it_lead",
  "district_admin",
  "coach",
  "building_admin",
  "district_admin_everywhere",
];

export interface RouteContext {
  agent: TestAgent;
  district: District;
  /** A fresh ticket in the school the case is about. */
  ticket: number;
  school: string;
}

export interface MatrixRoute {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** The route's pattern as registered, e.g. /api/tickets/:number. */
  pattern: string;
  variant?: string;
  path(ctx: RouteContext): string;
  body?(ctx: RouteContext): unknown;
  /** Arrange more state before the call (e.g. resolve a ticket before reopening it). */
  arrange?(ctx: RouteContext): Promise<void>;
  signedOut: number;
  /** Expected status per asker: [in own school, in another school]. */
  expected: Record<Asker, [number, number]>;
}

export async function runMatrixCase(
  agent: TestAgent,
  district: District,
  route: MatrixRoute,
  asker: Asker | "signed_out",
  where: "own" | "other",
): Promise<void> {
  const school = where === "own" ? "lincoln" : "washington";
  const ticket = await district.file(school);
  const ctx: RouteContext = {
    agent,
    district,
    ticket,
    school: where === "own" ? "/Schools/Lincoln High" : "/Schools/Washington Middle",
  };
  await route.arrange?.(ctx);
  const body = route.body?.(ctx);
  const init = { method: route.method, body, headers: {} as Record<string, string> };
  let response: Response;
  if (asker === "signed_out") {
    response = await agent.app.request(route.path(ctx), {
      method: route.method,
      headers: { origin: "http://localhost", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.status, `${route.method} ${route.pattern} signed out`).toBe(route.signedOut);
    return;
  }
  const email = asker === "district_admin_everywhere" ? district.districtAdminEmail : district.staffEmail(asker);
  const session = await signIn(agent, email);
  response = await session.request(route.path(ctx), init);
  const expected = route.expected[asker][where === "own" ? 0 : 1];
  expect(
    response.status,
    `${route.method} ${route.pattern}${route.variant ? ` (${route.variant})` : ""} as ${asker} in ${where} school: ${await response.clone().text()}`,
  ).toBe(expected);
}

/** A throwaway account for routes that change accounts. */
export async function throwawayUser(agent: TestAgent): Promise<string> {
  return createStaffUser(agent.store.db, {
    email: `temp-${crypto.randomUUID()}@lincoln.example.org`,
    displayName: "Temp",
    password: "a long enough password",
    grants: [{ role: "coach", school: "/Schools/Lincoln High" }],
  });
}
