/** Staff accounts and signed-in requests for console API tests. */

import { createStaffUser } from "../../agent/services/staff-accounts";
import type { RoleGrant, StaffRole } from "../../shared";
import type { TestAgent } from "./agent";

export const consoleOrigin = "http://localhost";
export const password = "correct horse battery staple";

export interface SignedIn {
  cookie: string;
  request(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
}

export async function addStaff(agent: TestAgent, email: string, grants: RoleGrant[]): Promise<void> {
  await createStaffUser(agent.store.db, { email, displayName: email.split("@")[0] ?? email, password, grants });
}

export async function signIn(agent: TestAgent, email: string, secret = password): Promise<SignedIn> {
  const response = await agent.app.request("/api/session", {
    method: "POST",
    headers: { "content-type": "application/json", origin: consoleOrigin },
    body: JSON.stringify({ email, password: secret }),
  });
  if (response.status !== 201) throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return {
    cookie,
    request: (path, init = {}) =>
      Promise.resolve(
        agent.app.request(path, {
          method: init.method ?? "GET",
          headers: {
            cookie,
            origin: consoleOrigin,
            ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
            ...init.headers,
          },
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
        }),
      ),
  };
}

export const grant = (role: StaffRole, school: string): RoleGrant => ({ role, school });
