/**
 * One sign-in per role for the embedded demo, created on first start and printed by `npm start`.
 * Refuses to run outside demo mode: a real district's accounts come from its admins.
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { type RoleGrant, type StaffRole, staffRoleLabels, staffRoles } from "../../shared";
import { type AgentConfig, demoSchool } from "../config";
import { createStaffUser } from "../services/staff-accounts";
import type { Database } from "../store/schema";
import { findStaffUserByEmail } from "../store/staff";

const demoScope: Record<StaffRole, string> = {
  student_tech_team: demoSchool,
  school_it_lead: demoSchool,
  district_admin: "*",
  coach: "*",
  building_admin: demoSchool,
};

export interface DemoAccount {
  role: StaffRole;
  label: string;
  email: string;
  password: string;
}

export async function ensureDemoAccounts(
  db: Kysely<Database>,
  config: AgentConfig,
  saved: Partial<Record<StaffRole, string>>,
): Promise<DemoAccount[]> {
  if (config.mode !== "demo") throw new Error("Demo accounts are only made in demo mode.");
  const accounts: DemoAccount[] = [];
  for (const role of staffRoles) {
    const email = `${role.replaceAll("_", "-")}@demo.techdesk.local`;
    let password = saved[role];
    const existing = await findStaffUserByEmail(db, email);
    if (!existing || !password) {
      if (existing) continue; // made before, password lost: leave it; delete data/ to start over
      password = randomBytes(9).toString("base64url");
      const grants: RoleGrant[] = [{ role, school: demoScope[role] }];
      await createStaffUser(db, { email, displayName: `Demo ${staffRoleLabels[role]}`, password, grants });
    }
    accounts.push({ role, label: staffRoleLabels[role], email, password });
  }
  return accounts;
}
