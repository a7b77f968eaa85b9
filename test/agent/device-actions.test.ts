/** Lost and stolen devices and MDM actions through the console API, against the sandbox. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DirectoryAdapter, directoryAdapter } from "../../agent/google/directory";
import { createLogger } from "../../agent/log";
import { ActionWorker } from "../../agent/services/action-worker";
import { markMissing, recordActions, systemActor } from "../../agent/services/device-actions";
import { deviceAction, deviceControls, matchLine, missingDevice } from "../../shared";
import { lincolnToken, sampleDiagnostics } from "../support/agent";
import { gate } from "../support/gate";
import { createGoogleDistrict, type GoogleDistrict } from "../support/google-district";
import { type SignedIn, signIn } from "../support/staff";

let g: GoogleDistrict;
let lead: SignedIn;
let techTeam: SignedIn;
let washingtonLead: SignedIn;
let admin: SignedIn;

beforeAll(async () => {
  g = await createGoogleDistrict();
  lead = await signIn(g.agent, g.district.staffEmail("school_it_lead"));
  techTeam = await signIn(g.agent, g.district.staffEmail("student_tech_team"));
  washingtonLead = await signIn(g.agent, "lead@washington.example.org");
  admin = await signIn(g.agent, g.district.districtAdminEmail);
}, 60_000);
afterAll(() => g.agent.close());

async function act(who: SignedIn, body: Record<string, unknown>) {
  const response = await who.request("/api/device-actions", { method: "POST", body });
  return {
    status: response.status,
    body: (await response.json()) as { actions?: unknown[]; error?: { message: string } },
  };
}

async function drained() {
  expect(await g.agent.actions?.drain(20_000)).toBe(true);
}

/** A device's row as the store has it. */
function storedDevice(deviceId: string) {
  return g.agent.store.db.selectFrom("devices").selectAll().where("deviceId", "=", deviceId).executeTakeFirstOrThrow();
}

/** A device of its own for the test, marked missing by the system; its row as it was before. */
async function deviceMarkedMissing() {
  const device = await g.takeDevice();
  const row = await storedDevice(device.deviceId);
  await markMissing(g.agent.store.db, systemActor, row, { reason: "Missing" }, { now: new Date() });
  return { device, row };
}

async function auditFor(deviceId: string) {
  return g.agent.store.db.selectFrom("auditLog").selectAll().where("deviceId", "=", deviceId).orderBy("seq").execute();
}

describe("disable and re-enable", () => {
  it("disables a device through batchChangeStatus once confirmed by its serial, and audits request and outcome", async () => {
    const device = await g.takeDevice();
    const refused = await act(lead, {
      deviceIds: [device.deviceId],
      action: "disable",
      reason: "Stolen from bus",
      confirm: "yes",
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.message).toContain(device.serialNumber);

    const asked = await act(lead, {
      deviceIds: [device.deviceId],
      action: "disable",
      reason: "Stolen from bus",
      confirm: device.serialNumber.toLowerCase(),
    });
    expect(asked.status).toBe(202);
    const [action] = asked.body.actions?.map((a) => deviceAction.parse(a)) ?? [];
    expect(action).toMatchObject({ state: "requested", kind: "disable", deviceId: device.deviceId });

    await drained();
    expect(g.googleStatus(device.deviceId)).toBe("DISABLED");
    const detail = deviceControls.parse(await (await lead.request(`/api/devices/${device.deviceId}`)).json());
    expect(detail.actions[0]).toMatchObject({ id: action?.id, state: "confirmed" });
    const stored = await g.agent.store.db
      .selectFrom("devices")
      .select("status")
      .where("deviceId", "=", device.deviceId)
      .executeTakeFirstOrThrow();
    expect(stored.status).toBe("DISABLED");
    const audit = await auditFor(device.deviceId);
    expect(audit.map((a) => a.action)).toEqual(["device.disable.requested", "device.disable.confirmed"]);
    expect(audit[1]).toMatchObject({ actorName: "school_it_lead", reason: "Stolen from bus" });
    expect(JSON.parse(audit[1]?.before ?? "{}")).toMatchObject({ status: "ACTIVE" });
    expect(JSON.parse(audit[1]?.after ?? "{}")).toMatchObject({ status: "DISABLED", state: "confirmed" });
    expect(JSON.parse(audit[1]?.google ?? "{}")).toMatchObject({ deviceId: device.deviceId });
  });

  it("asks twice, acts once: a second request while the first is open returns the same action", async () => {
    const device = await g.takeDevice();
    const body = {
      deviceIds: [device.deviceId],
      action: "disable",
      reason: "Lost at the game",
      confirm: device.serialNumber,
    };
    const [first, second] = await Promise.all([act(lead, body), act(lead, body)]);
    const ids = [first, second].map((r) => deviceAction.parse(r.body.actions?.[0]).id);
    expect(ids[0]).toBe(ids[1]);
    await drained();
    const audit = await auditFor(device.deviceId);
    expect(audit.filter((a) => a.action === "device.disable.confirmed")).toHaveLength(1);
  });

  it("disables in bulk in chunks of 50, recording each device's result, failures included", async () => {
    const devices = await Promise.all(Array.from({ length: 60 }, () => g.takeDevice()));
    // One of them is already disabled in Google by someone else: its result is an error, yet the effect holds.
    const disabledElsewhere = devices[7] as (typeof devices)[number];
    const sandboxDevice = g.sandbox.context.district.devices.get(disabledElsewhere.deviceId);
    if (sandboxDevice) sandboxDevice.status = "DISABLED";
    // And one was deprovisioned in Google: disabling it fails for that device alone.
    const gone = devices[55] as (typeof devices)[number];
    const goneDevice = g.sandbox.context.district.devices.get(gone.deviceId);
    if (goneDevice) goneDevice.status = "DEPROVISIONED";
    const callsBefore = g.sandbox.context.faults.calls;

    const asked = await act(lead, {
      deviceIds: devices.map((d) => d.deviceId),
      action: "disable",
      reason: "Cart stolen from room 12",
      confirm: "60 devices",
    });
    expect(asked.status).toBe(202);
    await drained();
    const actions = (
      (await (
        await lead.request(`/api/device-actions?batchId=${deviceAction.parse(asked.body.actions?.[0]).batchId}`)
      ).json()) as {
        actions: unknown[];
      }
    ).actions.map((a) => deviceAction.parse(a));
    expect(actions).toHaveLength(60);
    expect(actions.filter((a) => a.state === "confirmed")).toHaveLength(59);
    const failed = actions.find((a) => a.state === "failed");
    expect(failed?.deviceId).toBe(gone.deviceId);
    expect(failed?.error).toBeTruthy();
    expect(actions.find((a) => a.deviceId === disabledElsewhere.deviceId)?.state).toBe("confirmed");
    // Two batchChangeStatus calls (50 + 10) and a read of each of the two refused devices.
    expect(g.sandbox.context.faults.calls - callsBefore).toBe(4);
  });

  it("re-enables a found device: no longer missing, assignment restored, ticket told", async () => {
    const device = await g.takeDevice();
    const row = await g.agent.store.db
      .selectFrom("devices")
      .select("annotatedUser")
      .where("deviceId", "=", device.deviceId)
      .executeTakeFirstOrThrow();
    expect(
      (
        await techTeam.request(`/api/devices/${device.deviceId}/missing`, {
          method: "POST",
          body: { reason: "Left on the bus" },
        })
      ).status,
    ).toBe(201);
    await act(lead, {
      deviceIds: [device.deviceId],
      action: "disable",
      reason: "Missing",
      confirm: device.serialNumber,
    });
    await drained();
    expect(g.googleStatus(device.deviceId)).toBe("DISABLED");

    // The tech team may mark it found but not re-enable it.
    const refused = await techTeam.request(`/api/devices/${device.deviceId}/found`, {
      method: "POST",
      body: { note: "Bus driver returned it", reenable: true },
    });
    expect(refused.status).toBe(403);
    const found = await lead.request(`/api/devices/${device.deviceId}/found`, {
      method: "POST",
      body: { note: "Bus driver returned it", reenable: true },
    });
    expect(found.status).toBe(200);
    await drained();
    expect(g.googleStatus(device.deviceId)).toBe("ACTIVE");
    const controls = deviceControls.parse(await (await lead.request(`/api/devices/${device.deviceId}`)).json());
    expect(controls.missing).toBeUndefined();
    expect(controls.actions[0]).toMatchObject({ kind: "reenable", state: "confirmed" });
    const assignments = await g.agent.store.db
      .selectFrom("deviceAssignments")
      .selectAll()
      .where("deviceId", "=", device.deviceId)
      .orderBy("id")
      .execute();
    const after = await g.agent.store.db
      .selectFrom("devices")
      .select(["annotatedUser", "assignedSince"])
      .where("deviceId", "=", device.deviceId)
      .executeTakeFirstOrThrow();
    // A Students device has its student. Marked lost, the assignment ended; found, it starts again.
    expect(row.annotatedUser).toBeTruthy();
    expect(assignments.at(-1)).toMatchObject({ userEmail: row.annotatedUser, endedAt: expect.any(String) });
    expect(after).toMatchObject({ annotatedUser: row.annotatedUser, assignedSince: expect.any(String) });
    expect(after.assignedSince && after.assignedSince >= (assignments.at(-1)?.endedAt ?? "")).toBe(true);
  });

  it("cancels a disable that has not gone out when the device is found", async () => {
    const { device, row } = await deviceMarkedMissing();
    const [waiting] = await recordActions(
      g.agent.store.db,
      systemActor,
      [{ device: row, kind: "disable", reason: "Missing" }],
      {
        now: new Date(),
      },
    );
    const found = await techTeam.request(`/api/devices/${device.deviceId}/found`, {
      method: "POST",
      body: { note: "It was in the library", reenable: false },
    });
    expect(found.status).toBe(200);
    await drained();
    const controls = deviceControls.parse(await (await lead.request(`/api/devices/${device.deviceId}`)).json());
    expect(controls.actions.find((a) => a.id === waiting?.id)).toMatchObject({
      state: "failed",
      error: expect.stringContaining("Cancelled"),
    });
    expect(g.googleStatus(device.deviceId)).toBe("ACTIVE");
    expect((await auditFor(device.deviceId)).map((a) => a.action)).toContain("device.disable.cancelled");
  });

  it("leaves a disable an IT lead asked for alone when the tech team marks the device found", async () => {
    const { device, row } = await deviceMarkedMissing();
    // Asked for by a person (not yet sent): only someone who may disable this device may call it off.
    const [asked] = await recordActions(
      g.agent.store.db,
      { id: "lead-elsewhere", name: "Pat Lead" },
      [{ device: row, kind: "disable", reason: "Seen on a resale site" }],
      { now: new Date() },
    );
    const found = await techTeam.request(`/api/devices/${device.deviceId}/found`, {
      method: "POST",
      body: { note: "It was in the library", reenable: false },
    });
    expect(found.status).toBe(200);
    const still = await g.agent.store.db
      .selectFrom("deviceActions")
      .selectAll()
      .where("id", "=", asked?.id ?? "")
      .executeTakeFirstOrThrow();
    expect(still.state).not.toBe("failed");
    expect((await auditFor(device.deviceId)).map((a) => a.action)).not.toContain("device.disable.cancelled");
    const notes = (await (await lead.request("/api/notifications")).json()) as {
      notifications: { title: string; body: string }[];
    };
    expect(notes.notifications.find((n) => n.title.includes(`${device.serialNumber} marked found`))?.body).toMatch(
      /disable .* still/i,
    );
    await drained();
    expect(g.googleStatus(device.deviceId)).toBe("DISABLED");
  });

  it.each([
    ["", 0],
    // Its createdAt is then later than the re-enable's: being at Google still holds the re-enable back.
    [", sent by a replica whose clock runs a minute ahead", 60_000],
  ])(
    "sends a re-enable only after a disable still in flight has landed%s, so the device ends active",
    async (_, skewMs) => {
      const replicaNow = () => new Date(Date.now() + skewMs);
      const { device, row } = await deviceMarkedMissing();
      await recordActions(g.agent.store.db, systemActor, [{ device: row, kind: "disable", reason: "Lockdown" }], {
        now: replicaNow(),
      });
      const client = g.agent.google?.client;
      if (!client || !g.agent.actions) throw new Error("no Google");
      const real = directoryAdapter(client);
      // This replica's disable is on its way to Google (slow) when the device is found.
      const inFlight = gate();
      const slow: DirectoryAdapter = {
        ...real,
        async changeStatus(ids, action, ...rest) {
          if (action === "DISABLE") {
            inFlight.arrive();
            await inFlight.opened;
          }
          return real.changeStatus(ids, action, ...rest);
        },
      };
      const replica = new ActionWorker(g.agent.store.db, slow, createLogger("silent"), {
        holder: "replica",
        now: replicaNow,
      });
      const first = replica.tick();
      await inFlight.arrived;
      const found = await lead.request(`/api/devices/${device.deviceId}/found`, {
        method: "POST",
        body: { note: "Bus driver returned it", reenable: true },
      });
      expect(found.status).toBe(200);
      await g.agent.actions.tick();
      inFlight.open();
      await first;
      await drained();
      expect(g.googleStatus(device.deviceId)).toBe("ACTIVE");
      const actions = await g.agent.store.db
        .selectFrom("deviceActions")
        .selectAll()
        .where("deviceId", "=", device.deviceId)
        .orderBy("kind")
        .execute();
      expect(actions.map((a) => [a.kind, a.state])).toEqual([
        ["disable", "confirmed"],
        ["reenable", "confirmed"],
      ]);
      expect(JSON.parse(actions[1]?.result ?? "{}").alreadyApplied).toBeUndefined();
      const stored = await g.agent.store.db
        .selectFrom("devices")
        .select("status")
        .where("deviceId", "=", device.deviceId)
        .executeTakeFirstOrThrow();
      expect(stored.status).toBe("ACTIVE");
    },
  );

  it("deprovisions only with Google's reason and the typed second confirmation", async () => {
    const device = await g.takeDevice();
    const base = { deviceIds: [device.deviceId], action: "deprovision", reason: "Screen and board broken" };
    expect((await act(lead, { ...base, confirm: `deprovision ${device.serialNumber}` })).status).toBe(400);
    const wrong = await act(lead, {
      ...base,
      deprovisionReason: "DEPROVISION_REASON_RETIRING_DEVICE",
      confirm: device.serialNumber,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error?.message).toContain(`deprovision ${device.serialNumber}`);
    const ok = await act(lead, {
      ...base,
      deprovisionReason: "DEPROVISION_REASON_RETIRING_DEVICE",
      confirm: `Deprovision ${device.serialNumber}`,
    });
    expect(ok.status).toBe(202);
    await drained();
    expect(g.googleStatus(device.deviceId)).toBe("DEPROVISIONED");
  });
});

describe("who may do what", () => {
  it("lets the tech team mark a device missing but not disable it", async () => {
    const device = await g.takeDevice();
    const marked = await techTeam.request(`/api/devices/${device.deviceId}/missing`, {
      method: "POST",
      body: { reason: "Student says it was taken from her locker" },
    });
    expect(marked.status).toBe(201);
    const again = await techTeam.request(`/api/devices/${device.deviceId}/missing`, {
      method: "POST",
      body: { reason: "Twice" },
    });
    expect(again.status).toBe(409);
    const disable = await act(techTeam, {
      deviceIds: [device.deviceId],
      action: "disable",
      reason: "Missing",
      confirm: device.serialNumber,
    });
    expect(disable.status).toBe(403);
    const command = await techTeam.request(`/api/devices/${device.deviceId}/commands`, {
      method: "POST",
      body: { command: "REBOOT", reason: "Frozen", confirm: device.serialNumber },
    });
    expect(command.status).toBe(403);
  });

  it("keeps each IT lead to their own schools, and lets a district admin act anywhere", async () => {
    const lincolnDevice = await g.takeDevice("lincoln");
    const washingtonDevice = await g.takeDevice("washington");
    expect(
      (
        await act(washingtonLead, {
          deviceIds: [lincolnDevice.deviceId],
          action: "disable",
          reason: "x".repeat(5),
          confirm: lincolnDevice.serialNumber,
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await act(lead, {
          deviceIds: [washingtonDevice.deviceId],
          action: "disable",
          reason: "x".repeat(5),
          confirm: washingtonDevice.serialNumber,
        })
      ).status,
    ).toBe(404);
    const both = await act(admin, {
      deviceIds: [lincolnDevice.deviceId, washingtonDevice.deviceId],
      action: "disable",
      reason: "District sweep",
      confirm: "2 devices",
    });
    expect(both.status).toBe(202);
    await drained();
    expect(g.googleStatus(lincolnDevice.deviceId)).toBe("DISABLED");
    expect(g.googleStatus(washingtonDevice.deviceId)).toBe("DISABLED");
  });
});

describe("missing devices", () => {
  it("marks the device missing when a lost or stolen ticket comes in, and notifies the IT lead", async () => {
    const device = await g.takeDevice();
    const credential = await g.agent.enroll(
      { serialNumber: device.serialNumber, directoryDeviceId: device.deviceId },
      lincolnToken,
    );
    const { number } = await g.agent.file(credential, {
      category: "lost_stolen",
      note: "Taken from my bag at lunch",
      diagnostics: sampleDiagnostics({
        deviceAttributes: { serialNumber: device.serialNumber, directoryDeviceId: device.deviceId },
      }),
    });
    const missing = ((await (await lead.request("/api/missing-devices")).json()) as { devices: unknown[] }).devices.map(
      (d) => missingDevice.parse(d),
    );
    const entry = missing.find((m) => m.ticketNumber === number);
    expect(entry).toMatchObject({
      reason: "Taken from my bag at lunch (signed-in user as the device reports it: student@example.org)",
      device: { serialNumber: device.serialNumber },
    });
    const ticket = (await (await lead.request(`/api/tickets/${number}`)).json()) as {
      events: { kind: string; detail: { event?: string } }[];
    };
    expect(ticket.events.map((e) => e.detail.event ?? e.kind)).toContain("marked_missing");
    const notes = (await (await lead.request("/api/notifications")).json()) as { notifications: { title: string }[] };
    expect(notes.notifications.some((n) => n.title.includes(device.serialNumber))).toBe(true);
    // Washington's lead sees neither the device nor the notification.
    const elsewhere = (await (await washingtonLead.request("/api/missing-devices")).json()) as { devices: unknown[] };
    expect(elsewhere.devices.some((d) => missingDevice.parse(d).ticketNumber === number)).toBe(false);
  });

  it("takes a report's device from its enrollment, and marks only a device verified by Google's device id and serial missing", async () => {
    const mine = await g.takeDevice();
    const classmate = await g.takeDevice();
    const missingNow = async () =>
      ((await (await lead.request("/api/missing-devices")).json()) as { devices: unknown[] }).devices
        .map((d) => missingDevice.parse(d))
        .map((m) => m.device.serialNumber);
    // A report naming another device in its attributes stays this device's; nothing is marked missing
    // for the classmate's Chromebook.
    const enrolled = await g.agent.enroll(
      { serialNumber: mine.serialNumber, directoryDeviceId: mine.deviceId },
      lincolnToken,
    );
    const spoofed = await g.agent.file(enrolled, {
      category: "lost_stolen",
      diagnostics: sampleDiagnostics({
        deviceAttributes: { serialNumber: classmate.serialNumber, directoryDeviceId: classmate.deviceId },
      }),
    });
    const ticket = (await (await lead.request(`/api/tickets/${spoofed.number}`)).json()) as {
      serialNumber?: string;
      device?: { deviceId: string };
    };
    expect(ticket).toMatchObject({ serialNumber: mine.serialNumber, device: { deviceId: mine.deviceId } });
    expect(await missingNow()).not.toContain(classmate.serialNumber);
    expect(await missingNow()).toContain(mine.serialNumber);
    // Enrolled with a serial alone (printed on every case), a lost report is filed but marks nothing.
    const other = await g.takeDevice();
    const serialOnly = await g.agent.enroll({ serialNumber: other.serialNumber }, lincolnToken);
    const unverified = await g.agent.file(serialOnly, {
      category: "lost_stolen",
      diagnostics: sampleDiagnostics({ deviceAttributes: { serialNumber: other.serialNumber } }),
    });
    expect(unverified.number).toBeGreaterThan(spoofed.number);
    expect(await missingNow()).not.toContain(other.serialNumber);
  });

  it("matches pasted serials and asset tags exactly, and says which matched none or several", async () => {
    const a = await g.takeDevice();
    const b = await g.takeDevice();
    const partial = a.serialNumber.slice(0, 6);
    const response = await lead.request("/api/device-matches", {
      method: "POST",
      body: { text: `${a.serialNumber.toLowerCase()}\n  ${partial}\n${b.serialNumber}, NOSUCHSERIAL\n\n` },
    });
    const lines = ((await response.json()) as { lines: unknown[] }).lines.map((l) => matchLine.parse(l));
    expect(lines.map((l) => [l.input, l.outcome])).toEqual([
      [a.serialNumber.toLowerCase(), "matched"],
      [partial, "none"],
      [b.serialNumber, "matched"],
      ["NOSUCHSERIAL", "none"],
    ]);
    expect(lines[0]?.devices[0]?.deviceId).toBe(a.deviceId);
    // A device of another school is not matched for Lincoln's lead.
    const w = await g.takeDevice("washington");
    const other = await lead.request("/api/device-matches", { method: "POST", body: { text: w.serialNumber } });
    expect(((await other.json()) as { lines: { outcome: string }[] }).lines[0]?.outcome).toBe("none");
  });

  it("matches a line to several devices when a serial and an asset tag collide, and does not pick one", async () => {
    const a = await g.takeDevice();
    const b = await g.takeDevice();
    await g.agent.store.db
      .updateTable("devices")
      .set({ annotatedAssetId: a.serialNumber })
      .where("deviceId", "=", b.deviceId)
      .execute();
    const response = await lead.request("/api/device-matches", { method: "POST", body: { text: a.serialNumber } });
    const [line] = ((await response.json()) as { lines: unknown[] }).lines.map((l) => matchLine.parse(l));
    expect(line?.outcome).toBe("several");
    expect(line?.devices.map((d) => d.deviceId).sort()).toEqual([a.deviceId, b.deviceId].sort());
  });
});

describe("remote commands", () => {
  it("reboots a device and follows the command until Google says it ran", async () => {
    const device = await g.takeDevice();
    const response = await lead.request(`/api/devices/${device.deviceId}/commands`, {
      method: "POST",
      body: { command: "REBOOT", reason: "Stuck on the login screen", confirm: device.serialNumber },
    });
    expect(response.status).toBe(202);
    await drained();
    const controls = deviceControls.parse(await (await lead.request(`/api/devices/${device.deviceId}`)).json());
    expect(controls.actions[0]).toMatchObject({
      kind: "command",
      commandType: "REBOOT",
      state: "confirmed",
      commandState: "EXECUTED_BY_CLIENT",
    });
  });

  it("guards a powerwash with a typed confirmation", async () => {
    const device = await g.takeDevice();
    const body = { command: "REMOTE_POWERWASH", reason: "Handing it to a new student" };
    const refused = await lead.request(`/api/devices/${device.deviceId}/commands`, {
      method: "POST",
      body: { ...body, confirm: device.serialNumber },
    });
    expect(refused.status).toBe(400);
    const ok = await lead.request(`/api/devices/${device.deviceId}/commands`, {
      method: "POST",
      body: { ...body, confirm: `powerwash ${device.serialNumber}` },
    });
    expect(ok.status).toBe(202);
  });

  it("attaches a fetched support packet's files to the ticket", async () => {
    const number = await g.district.file("lincoln");
    const device = await g.takeDevice();
    const response = await lead.request(`/api/devices/${device.deviceId}/commands`, {
      method: "POST",
      body: {
        command: "FETCH_SUPPORT_PACKET",
        reason: "Wi-Fi drops every hour",
        confirm: device.serialNumber,
        ticketNumber: number,
      },
    });
    expect(response.status).toBe(202);
    await drained();
    const ticket = (await (await lead.request(`/api/tickets/${number}`)).json()) as {
      events: { detail: { event?: string; files?: { name: string; type: string }[] } }[];
    };
    const confirmed = ticket.events.find((e) => e.detail.event === "action_confirmed");
    expect(confirmed?.detail.files).toEqual([expect.objectContaining({ type: "SUPPORT_PACKET" })]);
  });

  it("refuses commands to a device Google would not send them to", async () => {
    const device = await g.takeDevice();
    await act(lead, { deviceIds: [device.deviceId], action: "disable", reason: "Lost", confirm: device.serialNumber });
    await drained();
    const response = await lead.request(`/api/devices/${device.deviceId}/commands`, {
      method: "POST",
      body: { command: "REBOOT", reason: "Try it", confirm: device.serialNumber },
    });
    expect(response.status).toBe(409);
  });
});

describe("loaners", () => {
  it("lends a loaner until a due date and takes it back", async () => {
    const device = await g.takeDevice();
    const due = new Date(Date.now() + 86_400_000).toISOString();
    const lent = await lead.request(`/api/devices/${device.deviceId}/loan`, {
      method: "POST",
      body: { userEmail: "Kid@Example.org", dueAt: due },
    });
    expect(lent.status).toBe(201);
    expect(
      (
        await lead.request(`/api/devices/${device.deviceId}/loan`, {
          method: "POST",
          body: { userEmail: "b@example.org", dueAt: due },
        })
      ).status,
    ).toBe(409);
    const controls = deviceControls.parse(await (await lead.request(`/api/devices/${device.deviceId}`)).json());
    expect(controls.loan).toMatchObject({ userEmail: "kid@example.org" });
    expect(
      (await techTeam.request(`/api/devices/${device.deviceId}/return`, { method: "POST", body: {} })).status,
    ).toBe(403);
    expect((await lead.request(`/api/devices/${device.deviceId}/return`, { method: "POST", body: {} })).status).toBe(
      200,
    );
    expect((await lead.request(`/api/devices/${device.deviceId}/return`, { method: "POST", body: {} })).status).toBe(
      409,
    );
  });
});

describe("following a bulk request's own actions", () => {
  async function listedByIds(who: SignedIn, ids: readonly string[]) {
    const response = await who.request(`/api/device-actions?ids=${ids.join(",")}`);
    const body = (await response.json()) as { actions?: unknown[]; error?: { message: string } };
    return { status: response.status, body, actions: (body.actions ?? []).map((a) => deviceAction.parse(a)) };
  }

  it("lists more than 100 actions by their ids, whichever batch each is in, and only to those who may see them", async () => {
    const devices = await Promise.all(Array.from({ length: 120 }, () => g.takeDevice()));
    const first = devices[0] as (typeof devices)[number];
    const row = await storedDevice(first.deviceId);
    // The overnight lockdown's disable is still open: the bulk request keeps it, with its own batch.
    const [earlier] = await recordActions(
      g.agent.store.db,
      systemActor,
      [{ device: row, kind: "disable", reason: "Missing for a week" }],
      { now: new Date() },
    );
    const asked = await act(lead, {
      deviceIds: devices.map((d) => d.deviceId),
      action: "disable",
      reason: "Cart stolen from room 14",
      confirm: "120 devices",
    });
    expect(asked.status).toBe(202);
    const returned = (asked.body.actions ?? []).map((a) => deviceAction.parse(a));
    expect(returned[0]?.id).toBe(earlier?.id);
    expect(new Set(returned.map((a) => a.batchId)).size).toBe(2);
    const ids = returned.map((a) => a.id);

    const listed: ReturnType<typeof deviceAction.parse>[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const part = await listedByIds(lead, ids.slice(i, i + 100));
      expect(part.status).toBe(200);
      listed.push(...part.actions);
    }
    expect(listed.map((a) => a.id).sort()).toEqual([...ids].sort());

    const tooMany = await listedByIds(lead, ids);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error?.message).toMatch(/at most 100/);
    // Washington's IT lead may not see Lincoln's devices, so neither their actions.
    const elsewhere = await listedByIds(washingtonLead, ids.slice(0, 100));
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.actions).toEqual([]);
    await drained();
  });
});
