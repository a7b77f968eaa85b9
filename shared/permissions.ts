/**
 * Roles and permissions. A permission is a named string; roles grant permissions, and every grant of
 * a role to a person is scoped to one or more schools (Google OU paths) or to the whole district.
 * Deny by default: what is not granted here is refused.
 */
import { z } from "zod";

export const staffRoles = ["student_tech_team", "school_it_lead", "district_admin", "coach", "building_admin"] as const;
export const staffRole = z.enum(staffRoles);
export type StaffRole = z.infer<typeof staffRole>;

export const staffRoleLabels: Record<StaffRole, string> = {
  student_tech_team: "Student tech team",
  school_it_lead: "School IT lead",
  district_admin: "District admin",
  coach: "Coach",
  building_admin: "Building admin",
};

export const permissionNames = [
  "ticket.read",
  "ticket.comment",
  "ticket.assign",
  "ticket.escalate",
  "ticket.route_external",
  "ticket.resolve",
  "device.read",
  "device.mark_missing",
  "device.disable",
  "device.command",
  "device.loan",
  "filter.audit.read",
  "filter.audit.run",
  "policy.write",
  "app.push",
  "job.read",
  "job.run",
  "audit.read",
  "user.manage",
] as const;
export const permissionName = z.enum(permissionNames);
export type Permission = z.infer<typeof permissionName>;

const techTeam: Permission[] = [
  "ticket.read",
  "ticket.comment",
  "ticket.assign",
  "ticket.escalate",
  "ticket.resolve",
  "device.read",
  "device.mark_missing",
  "filter.audit.read",
  "filter.audit.run",
];

export const rolePermissions: Record<StaffRole, readonly Permission[]> = {
  student_tech_team: techTeam,
  school_it_lead: [
    ...techTeam,
    "ticket.route_external",
    "job.read",
    "device.disable",
    "device.command",
    "device.loan",
    "policy.write",
    "app.push",
    "audit.read",
  ],
  district_admin: [...permissionNames],
  coach: ["ticket.read", "ticket.comment", "ticket.resolve"],
  building_admin: ["ticket.read", "ticket.comment", "device.read"],
};

/** A school is a Google OU path; `*` grants the role across the whole district. */
export const schoolScope = z.union([
  z.literal("*"),
  z.string().regex(/^\/[^\n]*$/, "a school is an OU path starting with /"),
]);

export const roleGrant = z.object({ role: staffRole, school: schoolScope });
export type RoleGrant = z.infer<typeof roleGrant>;

/**
 * One spelling per OU: `/Schools/Lincoln/` and `/Schools/Lincoln` name the same OU, so trailing
 * slashes go (the root stays `/`). Every comparison of schools, in code or in SQL, goes through here.
 */
export function normalSchool(path: string): string {
  return path.replace(/(.)\/+$/, "$1");
}

/** True when `school` (an OU path) is `scope` or lies under it. */
export function schoolWithin(school: string, scope: string): boolean {
  if (scope === "*") return true;
  const path = normalSchool(school);
  const within = normalSchool(scope);
  return path === within || path.startsWith(within === "/" ? "/" : `${within}/`);
}

/** True when some grant gives `permission` in some school: for pages that are not about one school. */
export function holdsAnywhere(grants: readonly RoleGrant[], permission: Permission): boolean {
  return grants.some((grant) => rolePermissions[grant.role].includes(permission));
}

/**
 * The one authorization rule: may someone with these grants do `permission` in `school`?
 * Without a school (a district-wide action) only a district-wide grant counts.
 */
export function isAllowed(grants: readonly RoleGrant[], permission: Permission, school?: string | null): boolean {
  return grants.some(
    (grant) =>
      rolePermissions[grant.role].includes(permission) &&
      (school ? schoolWithin(school, grant.school) : grant.school === "*"),
  );
}
