import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deviceTicketsShown } from "../../agent/services/devices";
import { upsertDevices } from "../../agent/store/devices";
import { consoleTicketDetail, deviceDetail, devicePage } from "../../shared";
import { createTestAgent, lincolnToken, sampleDiagnostics, type TestAgent } from "../support/agent";
import { type District, seedDistrict } from "../support/district";
import { type SignedIn, signIn } from "../support/staff";

let agent: TestAgent;
let district: District;
let lead: SignedIn;
beforeEach(async () => {
  agent = await createTestAgent();
  district = await seedDistrict(agent);
  lead = await signIn(agent, district.staffEmail("school_it_lead"));
});
afterEach(() => agent.close());

describe("/api/devices", () => {
  it("finds devices by serial, asset tag or student, only in the person's schools", async () => {
    const search = async (q: string) =>
      devicePage
        .parse(await (await lead.request(`/api/devices?q=${encodeURIComponent(q)}`)).json())
        .devices.map((d) => d.deviceId);
    expect(await search("lhs1234567")).toEqual([district.inventory.lincoln]);
    expect(await search("student@")).toEqual([district.inventory.lincoln]);
    expect(await search("WMS7654321")).toEqual([]);
    const all = devicePage.parse(await (await lead.request("/api/devices")).json());
    expect(all.devices.map((d) => d.deviceId)).toEqual([district.inventory.lincoln]);
  });

  it("matches _ and % in a student's address literally, and takes an OU typed with a trailing slash", async () => {
    const at = new Date().toISOString();
    const ou = "/Schools/Lincoln High/Students";
    await upsertDevices(
      agent.store.db,
      [
        {
          deviceId: "dev-underscore",
          serialNumber: "LHS0000001",
          orgUnitPath: ou,
          annotatedUser: "jane_doe@example.org",
          syncedAt: at,
        },
        {
          deviceId: "dev-lookalike",
          serialNumber: "LHS0000002",
          orgUnitPath: ou,
          annotatedUser: "janexdoe@example.org",
          syncedAt: at,
        },
      ],
      at,
    );
    const search = async (query: string) =>
      devicePage.parse(await (await lead.request(`/api/devices?${query}`)).json()).devices.map((d) => d.deviceId);
    expect(await search("q=jane_doe")).toEqual(["dev-underscore"]);
    expect(await search("q=%25doe")).toEqual([]);
    const inOu = await search(`ou=${encodeURIComponent(ou)}`);
    expect(inOu).toContain("dev-underscore");
    expect(await search(`ou=${encodeURIComponent(`${ou}/`)}`)).toEqual(inOu);
  });

  it("shows a device with its tickets and assignment history", async () => {
    const ticket = await district.file("lincoln");
    const detail = deviceDetail.parse(await (await lead.request(`/api/devices/${district.inventory.lincoln}`)).json());
    expect(detail.tickets.map((t) => t.number)).toEqual([ticket]);
    expect(detail).toMatchObject({ batteryHealth: "BATTERY_REPLACE_SOON", telemetryAt: "2026-11-30T06:00:00.000Z" });
    expect(detail.assignments).toEqual([expect.objectContaining({ userEmail: "student@example.org" })]);
    expect((await lead.request(`/api/devices/${district.inventory.washington}`)).status).toBe(404);
  });

  it("lists a device's tickets whatever the serial's case, and says when older ones are left off", async () => {
    const lower = await district.file("lincoln", {
      diagnostics: sampleDiagnostics({ deviceAttributes: { serialNumber: "lhs1234567" } }),
    });
    const detail = deviceDetail.parse(await (await lead.request(`/api/devices/${district.inventory.lincoln}`)).json());
    expect(detail.tickets.map((t) => t.number)).toContain(lower);
    expect(detail.olderTickets).toBeUndefined();
    for (let i = 0; i < deviceTicketsShown; i++) await district.file("lincoln");
    const busy = deviceDetail.parse(await (await lead.request(`/api/devices/${district.inventory.lincoln}`)).json());
    expect(busy.tickets).toHaveLength(deviceTicketsShown);
    expect(busy.olderTickets).toBe(true);
  });

  it("puts the inventory's facts on the ticket: model, AUE, battery health, assigned student", async () => {
    const number = await district.file("lincoln");
    const detail = consoleTicketDetail.parse(await (await lead.request(`/api/tickets/${number}`)).json());
    expect(detail.device).toMatchObject({
      deviceId: district.inventory.lincoln,
      model: "Lenovo 100e Chromebook Gen 3",
      aueDate: "2029-06-01T00:00:00Z",
      batteryHealth: "BATTERY_REPLACE_SOON",
      telemetryAt: "2026-11-30T06:00:00.000Z",
      annotatedUser: "student@example.org",
    });
  });

  it("shows a ticket's device facts only to someone who may read that device, and its match as of now", async () => {
    // Enrolled at Lincoln, this device sits in Washington's OU in Google.
    const moved = await agent.enroll(
      { serialNumber: "WMS7654321", directoryDeviceId: district.inventory.washington },
      lincolnToken,
    );
    const { number } = await agent.file(moved);
    const seen = consoleTicketDetail.parse(await (await lead.request(`/api/tickets/${number}`)).json());
    expect(seen.device).toBeUndefined();
    expect(seen.inventoryMatch).toBe("known");
    const admin = await signIn(agent, district.districtAdminEmail);
    const all = consoleTicketDetail.parse(await (await admin.request(`/api/tickets/${number}`)).json());
    expect(all.device?.deviceId).toBe(district.inventory.washington);
    expect(all.device?.removedAt).toBeUndefined();
    // Once Google no longer lists it, its facts say they are the last known ones.
    await agent.store.db
      .updateTable("devices")
      .set({ removedAt: "2026-12-01T03:00:00.000Z" })
      .where("deviceId", "=", district.inventory.washington)
      .execute();
    const removed = consoleTicketDetail.parse(await (await admin.request(`/api/tickets/${number}`)).json());
    expect(removed.device?.removedAt).toBe("2026-12-01T03:00:00.000Z");
  });

  it("checks an enrolling device against the inventory", async () => {
    await agent.enroll({ serialNumber: "LHS1234567", directoryDeviceId: district.inventory.lincoln }, lincolnToken);
    await agent.enroll({ serialNumber: "NOTINGOOGLE1" }, lincolnToken);
    await agent.enroll({ serialNumber: "WRONGSERIAL", directoryDeviceId: district.inventory.lincoln }, lincolnToken);
    const rows = await agent.store.db
      .selectFrom("deviceEnrollments")
      .select(["serialNumber", "inventoryMatch"])
      .execute();
    expect(Object.fromEntries(rows.map((r) => [r.serialNumber, r.inventoryMatch]))).toMatchObject({
      LHS1234567: "known",
      NOTINGOOGLE1: "unknown",
      WRONGSERIAL: "mismatch",
    });
  });
});
