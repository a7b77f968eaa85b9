/**
 * A lost or stolen report marks a device missing (and so gets it disabled overnight) only when its
 * enrollment names the device by both Google's device id and the serial. The enrollment token is
 * public, and the device id alone is seen by the tech team and in the audit CSV, so a claim of the
 * id alone must not reach a classmate's Chromebook. What the audit records as the actor names the
 * reporting device, never an email the client chose.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { upsertDevices } from "../../agent/store/devices";
import { createTestAgent, lincoln, lincolnToken, sampleDiagnostics, type TestAgent } from "../support/agent";

let agent: TestAgent;
let classmate: { deviceId: string; serialNumber: string };
beforeEach(async () => {
  agent = await createTestAgent();
  classmate = { deviceId: `dev-${randomUUID()}`, serialNumber: "LOST000001" };
  const at = new Date().toISOString();
  await upsertDevices(
    agent.store.db,
    [{ ...classmate, orgUnitPath: `${lincoln}/Students`, status: "ACTIVE", syncedAt: at }],
    at,
  );
});
afterEach(() => agent.close());

const missing = (deviceId: string) =>
  agent.store.db.selectFrom("missingDevices").selectAll().where("deviceId", "=", deviceId).executeTakeFirst();
const audit = () => agent.store.db.selectFrom("auditLog").selectAll().orderBy("seq").execute();

const lostReport = {
  category: "lost_stolen" as const,
  note: "Left it on the bus",
  diagnostics: sampleDiagnostics({ user: { email: "principal@lincoln.example.org" } }),
};

describe("a lost or stolen report", () => {
  it("does not mark a device missing for an enrollment that names it by Google's device id alone", async () => {
    const credential = await agent.enroll({ directoryDeviceId: classmate.deviceId }, lincolnToken);
    const ticket = await agent.file(credential, lostReport);
    expect(ticket.category).toBe("lost_stolen");
    expect(ticket.queue).toBe("school_it");
    expect(await missing(classmate.deviceId)).toBeUndefined();
    const entries = await audit();
    expect(entries.filter((e) => e.deviceId === classmate.deviceId)).toEqual([]);
    expect(entries.map((e) => e.actorName)).not.toContain("principal@lincoln.example.org");
  });

  it("marks it missing from the report that first gives an enrollment made without an identity its device", async () => {
    // Enrolled while the enterprise API answered nothing; the lost report carries id and serial.
    const credential = await agent.enroll({} as { serialNumber: string }, lincolnToken);
    await agent.file(credential, {
      ...lostReport,
      diagnostics: sampleDiagnostics({
        deviceAttributes: { directoryDeviceId: classmate.deviceId, serialNumber: classmate.serialNumber },
      }),
    });
    expect(await missing(classmate.deviceId)).toMatchObject({ markedByName: "Report from Chromebook LOST000001" });
  });

  it("does not mark it missing when the serial disagrees with Google's record of that id", async () => {
    const credential = await agent.enroll(
      { directoryDeviceId: classmate.deviceId, serialNumber: "NOT-LOST000001" },
      lincolnToken,
    );
    await agent.file(credential, lostReport);
    expect(await missing(classmate.deviceId)).toBeUndefined();
  });

  it("does not mark a removed device missing", async () => {
    await agent.store.db
      .updateTable("devices")
      .set({ removedAt: new Date().toISOString() })
      .where("deviceId", "=", classmate.deviceId)
      .execute();
    const credential = await agent.enroll(
      { directoryDeviceId: classmate.deviceId, serialNumber: classmate.serialNumber },
      lincolnToken,
    );
    await agent.file(credential, lostReport);
    expect(await missing(classmate.deviceId)).toBeUndefined();
  });

  it("marks the device missing when id and serial both match it, with the device as the actor", async () => {
    const credential = await agent.enroll(
      { directoryDeviceId: classmate.deviceId, serialNumber: classmate.serialNumber.toLowerCase() },
      lincolnToken,
    );
    const { number } = await agent.file(credential, lostReport);
    const marked = await missing(classmate.deviceId);
    expect(marked).toMatchObject({ ticketNumber: number, markedById: null });
    expect(marked?.markedByName).toBe(`Report from Chromebook ${classmate.serialNumber}`);
    const entry = (await audit()).find((e) => e.action === "device.mark_missing");
    expect(entry).toMatchObject({
      deviceId: classmate.deviceId,
      actorId: null,
      actorName: `Report from Chromebook ${classmate.serialNumber}`,
    });
    expect(entry?.reason).toBe(
      "Left it on the bus (signed-in user as the device reports it: principal@lincoln.example.org)",
    );
    // The ticket's timeline names the device too; the claimed email stays the ticket's reporter.
    const events = await agent.store.db
      .selectFrom("ticketEvents")
      .select("actorName")
      .where("ticketNumber", "=", number)
      .execute();
    expect(events.map((e) => e.actorName)).not.toContain("principal@lincoln.example.org");
  });
});
