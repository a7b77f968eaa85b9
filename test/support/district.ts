/** A small district for console tests: two schools, a device in each, and staff per role. */
import { randomUUID } from "node:crypto";
import { upsertDevices } from "../../agent/store/devices";
import { type ProblemReport, reportReceipt, type StaffRole, staffRoles } from "../../shared";
import {
  bearer,
  lincoln,
  lincolnToken,
  sampleDiagnostics,
  sampleReport,
  type TestAgent,
  washington,
  washingtonToken,
} from "./agent";
import { addStaff, grant } from "./staff";

export interface District {
  lincolnDevice: string;
  washingtonDevice: string;
  /** Google device ids of one inventory device in each school. */
  inventory: { lincoln: string; washington: string };
  /** Files a ticket from a device of `school`; answers its number. */
  file(school: "lincoln" | "washington", overrides?: Partial<ProblemReport>): Promise<number>;
  /** Email of the Lincoln-scoped account for `role`. */
  staffEmail(role: StaffRole): string;
  districtAdminEmail: string;
}

export async function seedDistrict(agent: TestAgent): Promise<District> {
  const lincolnDevice = await agent.enroll(
    { serialNumber: "LHS1234567", directoryDeviceId: randomUUID(), assetId: "LHS-0042" },
    lincolnToken,
  );
  const washingtonDevice = await agent.enroll(
    { serialNumber: "WMS7654321", directoryDeviceId: randomUUID() },
    washingtonToken,
  );
  for (const role of staffRoles) await addStaff(agent, `${role}@lincoln.example.org`, [grant(role, lincoln)]);
  await addStaff(agent, "admin@district.example.org", [grant("district_admin", "*")]);
  await addStaff(agent, "lead@washington.example.org", [grant("school_it_lead", washington)]);
  const at = new Date().toISOString();
  await upsertDevices(
    agent.store.db,
    [
      {
        deviceId: "google-device-lincoln-1",
        serialNumber: "LHS1234567",
        orgUnitPath: `${lincoln}/Students`,
        annotatedUser: "student@example.org",
        model: "Lenovo 100e Chromebook Gen 3",
        aueDate: "2029-06-01T00:00:00Z",
        batteryHealth: "BATTERY_REPLACE_SOON",
        telemetryAt: "2026-11-30T06:00:00.000Z",
        syncedAt: at,
      },
      {
        deviceId: "google-device-washington-1",
        serialNumber: "WMS7654321",
        orgUnitPath: `${washington}/Students`,
        syncedAt: at,
      },
    ],
    at,
  );
  return {
    lincolnDevice,
    washingtonDevice,
    inventory: { lincoln: "google-device-lincoln-1", washington: "google-device-washington-1" },
    districtAdminEmail: "admin@district.example.org",
    staffEmail: (role) => `${role}@lincoln.example.org`,
    async file(school, overrides = {}) {
      const device = school === "lincoln" ? lincolnDevice : washingtonDevice;
      const serialNumber = school === "lincoln" ? "LHS1234567" : "WMS7654321";
      const report = sampleReport({
        diagnostics: sampleDiagnostics({
          deviceAttributes: { serialNumber, assetId: school === "lincoln" ? "LHS-0042" : "WMS-0007" },
        }),
        ...overrides,
      });
      const response = await agent.post("/v1/reports", report, bearer(device));
      return reportReceipt.parse(await response.json()).ticket.number;
    },
  };
}
