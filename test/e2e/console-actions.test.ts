/**
 * Lost and stolen devices in Debian's Chromium against the real agent and its Google sandbox: an IT
 * lead marks a device lost and disables it from its page (a reason, the serial typed to confirm);
 * the action reaches "confirmed", the sandbox has the device DISABLED, and the Audit page lists it.
 * Bulk: pasted serials matched line by line (exact, none, several), the matched ones disabled with
 * their states shown. A remote command followed to its end, and a deprovision that needs Google's
 * reason and the phrase typed out. A student tech team member can mark a device lost but not
 * disable it. A bulk disable of more than 100 devices followed to its end, a device whose disable
 * was already open included; a support packet fetched from a ticket lands on that ticket.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildConsole } from "../../agent/console/build";
import { type RunningAgent, startAgent } from "../../agent/server";
import { markMissing, recordActions, systemActor } from "../../agent/services/device-actions";
import { createStaffUser } from "../../agent/services/staff-accounts";
import { reportReceipt } from "../../shared";
import { bearer, lincoln, lincolnToken, sampleDiagnostics, sampleReport, testConfig } from "../support/agent";
import { chromiumArgs, chromiumPath, requireChromium } from "../support/chromium";
import { signedInPage } from "../support/console";

vi.setConfig({ testTimeout: 90_000 });

const password = "a long enough password";
let agent: RunningAgent;
let browser: Browser;
let dataDir: string;
let devices: { deviceId: string; serialNumber: string }[];

beforeAll(async () => {
  requireChromium();
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-actions-e2e-"));
  agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir, JOBS_ENABLED: "false" }));
  await buildConsole();
  const sync = await agent.jobs.run("inventory-full-sync", "manual");
  expect(sync).toMatchObject({ ran: true, status: "succeeded" });
  for (const [email, role] of [
    ["lead@lincoln.example.org", "school_it_lead"],
    ["tech@lincoln.example.org", "student_tech_team"],
  ] as const)
    await createStaffUser(agent.store.db, {
      email,
      displayName: email.split("@")[0] as string,
      password,
      grants: [{ role, school: lincoln }],
    });
  devices = (
    await agent.store.db
      .selectFrom("devices")
      .select(["deviceId", "serialNumber"])
      .where("orgUnitPath", "=", `${lincoln}/Students`)
      .where("status", "=", "ACTIVE")
      .orderBy("deviceId")
      .limit(140)
      .execute()
  ).map((d) => ({ deviceId: d.deviceId, serialNumber: d.serialNumber as string }));
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
});
afterAll(async () => {
  await browser?.close();
  await agent?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const signedIn = (email: string) => signedInPage(browser, agent.url, email);

const googleStatus = (deviceId: string) => agent.google.sandbox?.context.district.devices.get(deviceId)?.status;

/** A ticket filed from the device itself (enrolled, then a report), as a student would; answers its number. */
async function ticketFrom(device: { deviceId: string; serialNumber: string }, note: string): Promise<number> {
  const credential = await fetch(`${agent.url}/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      enrollmentToken: lincolnToken,
      device: { serialNumber: device.serialNumber, directoryDeviceId: device.deviceId },
    }),
  }).then(async (r) => ((await r.json()) as { credential: string }).credential);
  const filed = await fetch(`${agent.url}/v1/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(credential) },
    body: JSON.stringify(
      sampleReport({
        category: "broken_damaged",
        note,
        diagnostics: sampleDiagnostics({
          deviceAttributes: { serialNumber: device.serialNumber, directoryDeviceId: device.deviceId },
        }),
      }),
    ),
  });
  return reportReceipt.parse(await filed.json()).ticket.number;
}

async function deviceRow(deviceId: string) {
  return agent.store.db.selectFrom("devices").selectAll().where("deviceId", "=", deviceId).executeTakeFirstOrThrow();
}

describe("lost and stolen devices in the console", () => {
  it("takes a device from lost to disabled on its page, and the audit log shows it", async () => {
    const device = devices[0] as { deviceId: string; serialNumber: string };
    const page = await signedIn("lead@lincoln.example.org");
    const started = Date.now();
    await page.goto(`${agent.url}/#/devices/${encodeURIComponent(device.deviceId)}`);
    await page.getByRole("button", { name: "Mark lost" }).click();
    const lost = page.getByRole("form", { name: `Mark ${device.serialNumber} lost or stolen` });
    await lost.getByLabel("Reason").fill("Left on the bus, reported by the student");
    await lost.getByRole("button", { name: `Mark ${device.serialNumber} lost or stolen` }).click();
    await expect
      .poll(() => page.getByTestId("missing-banner").textContent(), { timeout: 30_000 })
      .toContain("Left on the bus");

    await page.getByRole("button", { name: "Disable now" }).click();
    const dialog = page.getByRole("form", { name: `Disable ${device.serialNumber}` });
    // The dialog names the device before anything happens.
    expect(await dialog.textContent()).toContain(device.serialNumber);
    await dialog.getByLabel("Reason").fill("Lost on the bus");
    await dialog.getByLabel(/to confirm/).fill("not the serial");
    await dialog.getByRole("button", { name: `Disable ${device.serialNumber}` }).click();
    await expect.poll(() => dialog.getByRole("alert").textContent(), { timeout: 30_000 }).toMatch(/confirm/i);
    expect(googleStatus(device.deviceId)).toBe("ACTIVE");
    await dialog.getByLabel(/to confirm/).fill(device.serialNumber);
    await dialog.getByRole("button", { name: `Disable ${device.serialNumber}` }).click();
    await expect
      .poll(() => page.getByTestId("action-disable").first().textContent(), { timeout: 60_000 })
      .toContain("confirmed by Google");
    expect(googleStatus(device.deviceId)).toBe("DISABLED");
    console.log(`reported lost → disabled in the console: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByLabel("Device id or serial").fill(device.serialNumber);
    await page.getByRole("button", { name: "Apply" }).click();
    const table = page.getByRole("table", { name: "Audit entries" });
    await expect.poll(() => table.textContent(), { timeout: 30_000 }).toContain("device.disable.confirmed");
    expect(await table.textContent()).toContain("device.mark_missing");
    await expect.poll(() => page.getByTestId("chain").textContent()).toMatch(/Hash chain intact/);
    await page.close();
  });

  it("matches a pasted list line by line and disables only the exact matches", async () => {
    type Device = { deviceId: string; serialNumber: string };
    const [a, b, c, d] = devices.slice(1, 5) as [Device, Device, Device, Device];
    // Another device carries d's serial as its asset tag: that line matches two devices.
    await agent.store.db
      .updateTable("devices")
      .set({ annotatedAssetId: d.serialNumber })
      .where("deviceId", "=", c.deviceId)
      .execute();
    const page = await signedIn("lead@lincoln.example.org");
    await page.getByRole("link", { name: "Lost & stolen" }).click();
    const partial = a.serialNumber.slice(0, 5);
    await page
      .getByLabel("Serials or asset tags")
      .fill([a.serialNumber, b.serialNumber, "NOSUCHSERIAL1", partial, d.serialNumber].join("\n"));
    await page.getByRole("button", { name: "Match" }).click();
    const matches = page.getByRole("table", { name: "Matches" });
    await expect.poll(() => matches.locator("tbody tr").count(), { timeout: 30_000 }).toBe(5);
    expect(await page.getByTestId("match-NOSUCHSERIAL1").textContent()).toContain("No device matches");
    expect(await page.getByTestId(`match-${partial}`).textContent()).toContain("No device matches");
    expect(await page.getByTestId(`match-${d.serialNumber}`).textContent()).toContain("Several devices match");
    const form = page.getByRole("form", { name: "Disable matched devices" });
    await form.getByLabel("Reason").fill("Stolen from the cart, police report 2026-114");
    await form.getByLabel(/to confirm/).fill("2 devices");
    await form.getByRole("button", { name: "Disable 2 matched devices" }).click();
    for (const device of [a, b])
      await expect
        .poll(() => page.getByTestId(`disable-${device.serialNumber}`).textContent(), { timeout: 60_000 })
        .toContain("disabled");
    expect(googleStatus(a.deviceId)).toBe("DISABLED");
    expect(googleStatus(b.deviceId)).toBe("DISABLED");
    expect(googleStatus(c.deviceId)).toBe("ACTIVE");
    expect(googleStatus(d.deviceId)).toBe("ACTIVE");
    await page.close();
  });

  it("follows a remote command to its end, and deprovisions only with Google's reason and the phrase typed", async () => {
    const device = devices[6] as { deviceId: string; serialNumber: string };
    const page = await signedIn("lead@lincoln.example.org");
    await page.goto(`${agent.url}/#/devices/${encodeURIComponent(device.deviceId)}`);
    await page.getByText("Remote commands and deprovision").click();
    await page.getByRole("button", { name: "Reboot", exact: true }).click();
    const reboot = page.getByRole("form", { name: `Reboot: ${device.serialNumber}` });
    await reboot.getByLabel("Reason").fill("Stuck on the sign-in screen");
    await reboot.getByLabel(/to confirm/).fill(device.serialNumber);
    await reboot.getByRole("button", { name: `Reboot: ${device.serialNumber}` }).click();
    // Google runs the command when the device next checks in; the page follows it to the end.
    await expect
      .poll(() => page.getByTestId("action-command-REBOOT").textContent(), { timeout: 90_000 })
      .toContain("confirmed by Google");

    await page.getByRole("button", { name: "Deprovision" }).click();
    const deprovision = page.getByRole("form", { name: `Deprovision ${device.serialNumber}` });
    await deprovision.getByLabel("Reason", { exact: true }).fill("Screen and board broken, replaced under warranty");
    await deprovision.getByLabel(/to confirm/).fill(device.serialNumber);
    await deprovision.getByRole("button", { name: `Deprovision ${device.serialNumber}` }).click();
    // Without Google's reason and the full phrase the browser and the agent refuse it.
    expect(googleStatus(device.deviceId)).toBe("ACTIVE");
    await deprovision.getByLabel("Google's reason").selectOption("DEPROVISION_REASON_SAME_MODEL_REPLACEMENT");
    await deprovision.getByRole("button", { name: `Deprovision ${device.serialNumber}` }).click();
    await expect.poll(() => deprovision.getByRole("alert").textContent(), { timeout: 30_000 }).toMatch(/confirm/i);
    expect(googleStatus(device.deviceId)).toBe("ACTIVE");
    await deprovision.getByLabel(/to confirm/).fill(`deprovision ${device.serialNumber}`);
    await deprovision.getByRole("button", { name: `Deprovision ${device.serialNumber}` }).click();
    await expect
      .poll(() => page.getByTestId("action-deprovision").textContent(), { timeout: 60_000 })
      .toContain("confirmed by Google");
    expect(googleStatus(device.deviceId)).toBe("DEPROVISIONED");
    await page.close();
  });

  it("records an action taken from a ticket on that ticket", async () => {
    const device = devices[7] as { deviceId: string; serialNumber: string };
    const number = await ticketFrom(device, "Cracked screen, taken from a student on the bus");
    const page = await signedIn("lead@lincoln.example.org");
    await page.goto(`${agent.url}/#/tickets/${number}`);
    await page.getByRole("link", { name: "Open the device" }).click();
    await page.getByRole("link", { name: `← Ticket #${number}` }).waitFor();
    await page.getByRole("button", { name: "Disable now" }).click();
    const dialog = page.getByRole("form", { name: `Disable ${device.serialNumber}` });
    await dialog.getByLabel("Reason").fill("Held for repair; not to be used");
    await dialog.getByLabel(/to confirm/).fill(device.serialNumber);
    await dialog.getByRole("button", { name: `Disable ${device.serialNumber}` }).click();
    await expect
      .poll(() => page.getByTestId("action-disable").first().textContent(), { timeout: 60_000 })
      .toContain("confirmed by Google");
    await page.getByRole("link", { name: `← Ticket #${number}` }).click();
    const timeline = page.locator("ol.timeline");
    await expect
      .poll(() => timeline.textContent(), { timeout: 30_000 })
      .toContain(`asked for disabling Chromebook ${device.serialNumber}`);
    expect(await timeline.textContent()).toContain(`Google confirmed disabling Chromebook ${device.serialNumber}`);
    await page.close();
  });

  it("lets a student tech team member mark a device lost but not disable it", async () => {
    const device = devices[5] as { deviceId: string; serialNumber: string };
    const page = await signedIn("tech@lincoln.example.org");
    await page.goto(`${agent.url}/#/devices/${encodeURIComponent(device.deviceId)}`);
    await page.getByRole("button", { name: "Mark lost" }).waitFor();
    expect(await page.getByRole("button", { name: "Disable now" }).count()).toBe(0);
    expect(await page.getByText("Remote commands and deprovision").count()).toBe(0);
    expect(await page.getByRole("link", { name: "Audit log" }).count()).toBe(0);
    await page.close();
  });

  it("follows every device of a bulk disable of more than 100 to its end, one whose disable was already open included", async () => {
    type Device = { deviceId: string; serialNumber: string };
    const listed = devices.slice(10, 131) as Device[];
    const waiting = listed[0] as Device;
    // The overnight lockdown's disable of the first device is open and due in an hour (Google was
    // failing): the bulk request keeps that one, from its own earlier batch.
    const [earlier] = await recordActions(
      agent.store.db,
      systemActor,
      [{ device: await deviceRow(waiting.deviceId), kind: "disable", reason: "Missing for a week" }],
      { now: new Date(Date.now() + 3_600_000) },
    );
    const page = await signedIn("lead@lincoln.example.org");
    await page.getByRole("link", { name: "Lost & stolen" }).click();
    await page.getByLabel("Serials or asset tags").fill(listed.map((d) => d.serialNumber).join("\n"));
    await page.getByRole("button", { name: "Match" }).click();
    const form = page.getByRole("form", { name: "Disable matched devices" });
    await form.getByLabel("Reason").fill("Cart stolen from the library, police report 2026-131");
    await form.getByLabel(/to confirm/).fill(`${listed.length} devices`);
    await form.getByRole("button", { name: `Disable ${listed.length} matched devices` }).click();
    const rows = page.getByRole("table", { name: "Disables" }).locator("tbody tr");
    await expect
      .poll(async () => (await rows.allTextContents()).filter((t) => t.includes("disabled")).length, {
        timeout: 60_000,
      })
      .toBe(listed.length - 1);
    expect(await rows.count()).toBe(listed.length);
    expect(await page.getByTestId(`disable-${waiting.serialNumber}`).textContent()).toContain("requested");
    for (const device of listed.slice(1)) expect(googleStatus(device.deviceId)).toBe("DISABLED");
    // Once the earlier disable goes out, the page shows it ended too.
    await agent.store.db
      .updateTable("deviceActions")
      .set({ nextAttemptAt: new Date().toISOString() })
      .where("id", "=", earlier?.id ?? "")
      .execute();
    await expect
      .poll(() => page.getByTestId(`disable-${waiting.serialNumber}`).textContent(), { timeout: 60_000 })
      .toContain("disabled");
    expect(googleStatus(waiting.deviceId)).toBe("DISABLED");
    await page.close();
  });

  it("says what a missing device's last action did: a confirmed reboot did not disable it", async () => {
    const device = devices[9] as { deviceId: string; serialNumber: string };
    const row = await deviceRow(device.deviceId);
    await markMissing(
      agent.store.db,
      { id: null, name: "Front office" },
      row,
      { reason: "Not returned after spring break" },
      { now: new Date() },
    );
    // A reboot Google ran (recorded as ended; due an hour from now, so the worker leaves it be).
    const [reboot] = await recordActions(
      agent.store.db,
      systemActor,
      [{ device: row, kind: "command", commandType: "REBOOT", reason: "Stuck on the sign-in screen" }],
      { now: new Date(Date.now() + 3_600_000) },
    );
    await agent.store.db
      .updateTable("deviceActions")
      .set({ state: "confirmed", commandState: "EXECUTED_BY_CLIENT", finishedAt: new Date().toISOString() })
      .where("id", "=", reboot?.id ?? "")
      .execute();
    const page = await signedIn("lead@lincoln.example.org");
    await page.getByRole("link", { name: "Lost & stolen" }).click();
    const missing = page.getByRole("table", { name: "Missing devices" }).getByRole("row").filter({
      hasText: device.serialNumber,
    });
    await expect.poll(() => missing.textContent(), { timeout: 30_000 }).toContain("Reboot: confirmed by Google");
    expect(await missing.textContent()).not.toContain("disabled");
    await page.close();
  });

  it("attaches a support packet fetched from a ticket's device page to that ticket", async () => {
    const device = devices[8] as { deviceId: string; serialNumber: string };
    const number = await ticketFrom(device, "Wi-Fi drops every hour in room 12");
    const page = await signedIn("lead@lincoln.example.org");
    await page.goto(`${agent.url}/#/tickets/${number}`);
    await page.getByRole("link", { name: "Open the device" }).click();
    await page.getByRole("link", { name: `← Ticket #${number}` }).waitFor();
    await page.getByText("Remote commands and deprovision").click();
    await page.getByRole("button", { name: "Fetch a support packet", exact: true }).click();
    const title = `Fetch a support packet (logs): ${device.serialNumber}`;
    const dialog = page.getByRole("form", { name: title });
    await dialog.getByLabel("Reason").fill("Wi-Fi drops every hour");
    await dialog.getByLabel(/to confirm/).fill(device.serialNumber);
    await dialog.getByRole("button", { name: title }).click();
    await expect
      .poll(() => page.getByTestId("action-command-FETCH_SUPPORT_PACKET").textContent(), { timeout: 90_000 })
      .toContain("confirmed by Google");
    await page.getByRole("link", { name: `← Ticket #${number}` }).click();
    const timeline = page.locator("ol.timeline");
    await expect
      .poll(() => timeline.textContent(), { timeout: 30_000 })
      .toContain(`Google confirmed a support packet from Chromebook ${device.serialNumber}`);
    expect(await timeline.getByRole("link", { name: /^support-packet-.+\.zip$/ }).count()).toBe(1);
    await page.close();
  });
});
