import { describe, expect, it } from "vitest";
import { isAllowed, permissionNames, rolePermissions, schoolWithin, staffRoles } from "../../shared";

const lincoln = "/Schools/Lincoln High";

describe("isAllowed", () => {
  it("denies by default: no grants, no permission", () => {
    for (const permission of permissionNames) expect(isAllowed([], permission, lincoln)).toBe(false);
  });

  it("scopes a grant to its school and the OUs under it, not to a sibling with a longer name", () => {
    const grants = [{ role: "school_it_lead" as const, school: lincoln }];
    expect(isAllowed(grants, "device.disable", lincoln)).toBe(true);
    expect(isAllowed(grants, "device.disable", `${lincoln}/Students`)).toBe(true);
    expect(isAllowed(grants, "device.disable", "/Schools/Lincoln High Annex")).toBe(false);
    expect(isAllowed(grants, "device.disable", "/Schools/Washington")).toBe(false);
    expect(isAllowed(grants, "device.disable", null)).toBe(false);
  });

  it("lets the student tech team mark a device missing but not disable it", () => {
    const grants = [{ role: "student_tech_team" as const, school: lincoln }];
    expect(isAllowed(grants, "device.mark_missing", lincoln)).toBe(true);
    expect(isAllowed(grants, "device.disable", lincoln)).toBe(false);
    expect(isAllowed(grants, "policy.write", lincoln)).toBe(false);
  });

  it("gives district admins everything everywhere, and district-wide actions only to district-wide grants", () => {
    const admin = [{ role: "district_admin" as const, school: "*" }];
    for (const permission of permissionNames) {
      expect(isAllowed(admin, permission, lincoln)).toBe(true);
      expect(isAllowed(admin, permission, null)).toBe(true);
    }
  });

  it("grants every role only known permissions", () => {
    for (const role of staffRoles) for (const p of rolePermissions[role]) expect(permissionNames).toContain(p);
    expect(schoolWithin("/A/B", "/A/")).toBe(true);
  });

  it("reads a school written with a trailing slash as the same OU, and never as its longer-named sibling", () => {
    expect(schoolWithin("/Schools/Lincoln", "/Schools/Lincoln/")).toBe(true);
    expect(schoolWithin("/Schools/Lincoln/", "/Schools/Lincoln")).toBe(true);
    expect(schoolWithin("/Schools/Lincoln/Students", "/Schools/Lincoln//")).toBe(true);
    expect(schoolWithin("/Schools/LincolnPark", "/Schools/Lincoln")).toBe(false);
    expect(schoolWithin("/Schools/LincolnPark", "/Schools/Lincoln/")).toBe(false);
    expect(schoolWithin("/Schools/Lincoln", "/")).toBe(true);
    expect(schoolWithin("/", "/")).toBe(true);
    const grants = [{ role: "school_it_lead" as const, school: `${lincoln}/` }];
    expect(isAllowed(grants, "ticket.read", lincoln)).toBe(true);
    expect(isAllowed(grants, "ticket.read", `${lincoln} Annex`)).toBe(false);
  });
});
