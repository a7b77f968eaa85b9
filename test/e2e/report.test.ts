/**
 * End to end in Debian's Chromium: the built extension, configured by a policy file, files a
 * ticket with the real agent on loopback; a report made while the agent is down arrives once. It
 * also reports its own compliance (proxy mode, whether it may see other extensions).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, startAgent } from "../../agent/server";
import type { ChromeNamespace } from "../../extension/chrome-api";
import { proxyModes, staffTicketDetail, staffTicketPage } from "../../shared";
import { bearer, enrollmentToken, staffToken, testConfig } from "../support/agent";
import { buildExtension, type ExtensionBrowser, launchWithExtension, writeManagedPolicy } from "../support/chromium";

let browser: ExtensionBrowser;
let agent: RunningAgent;
let removePolicy: () => void;
let dataDir: string;
let config: ReturnType<typeof testConfig>;
let popup: Page;

async function staffGet<T>(url: string, parse: (body: unknown) => T): Promise<T> {
  const response = await fetch(`${agent.url}${url}`, { headers: bearer(staffToken) });
  expect(response.status).toBe(200);
  return parse(await response.json());
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-e2e-"));
  // Port 0: the system picks a free port as the agent binds it, so no other test can take it first.
  agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir }));
  // The agent comes back on the same address after the offline step: the extension's policy names it.
  config = testConfig({ PORT: new URL(agent.url).port, DATA_DIR: dataDir });
  removePolicy = writeManagedPolicy({ agentUrl: agent.url, enrollmentToken });
  browser = await launchWithExtension(await buildExtension());
});

afterAll(async () => {
  await browser?.close();
  removePolicy?.();
  await agent?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a student reports a problem", () => {
  it("reads its managed configuration from policy", async () => {
    const managed = await browser.worker.evaluate(() =>
      (globalThis as unknown as { chrome: ChromeNamespace }).chrome.storage.managed.get(null),
    );
    expect(managed).toEqual({ agentUrl: agent.url, enrollmentToken });
  });

  it("picks a category, adds a note and gets a ticket number, by keyboard alone", async () => {
    popup = await browser.context.newPage();
    await popup.goto(browser.extensionUrl("popup.html"));
    await expect.poll(() => popup.getByRole("button", { name: "Screen" }).isVisible()).toBe(true);
    for (const button of await popup.getByRole("button").all()) {
      expect((await button.textContent())?.trim()).not.toBe("");
    }
    // Tab to the Screen tile (the fourth of the tiles in reading order) and press Enter.
    await popup.keyboard.press("Tab");
    for (let i = 0; i < 20; i++) {
      const focused = await popup.evaluate(() => document.activeElement?.textContent ?? "");
      if (focused === "Screen") break;
      await popup.keyboard.press("Tab");
    }
    await popup.keyboard.press("Enter");
    const note = `Lines across the screen since Friday ${randomUUID()}`;
    await expect.poll(() => popup.evaluate(() => document.activeElement?.id)).toBe("note");
    await popup.keyboard.type(note);
    // Tab past the screenshot box and Back, to Send.
    await popup.keyboard.press("Tab");
    await popup.keyboard.press("Tab");
    await popup.keyboard.press("Tab");
    expect(await popup.evaluate(() => document.activeElement?.textContent)).toBe("Send");
    await popup.keyboard.press("Enter");

    const shown = popup.getByTestId("ticket-number");
    await shown.waitFor({ timeout: 20_000 });
    const number = Number((await shown.textContent())?.replace("#", ""));
    expect(number).toBeGreaterThan(0);
    // The form is gone: focus moves to the outcome's heading, so a screen reader reads what happened,
    // and the next Tab reaches the way on.
    expect(await popup.evaluate(() => [document.activeElement?.tagName, document.activeElement?.textContent])).toEqual([
      "H2",
      "Report sent",
    ]);
    await popup.keyboard.press("Tab");
    expect(await popup.evaluate(() => document.activeElement?.textContent)).toBe("Report another problem");

    const detail = await staffGet(`/v1/staff/tickets/${number}`, (b) => staffTicketDetail.parse(b));
    expect(detail).toMatchObject({ number, category: "screen", note, queue: "student_tech_team", status: "open" });
    expect(detail.diagnostics.platform?.os).toBe("linux");
    expect(detail.diagnostics.platform?.browserVersion).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(detail.diagnostics.cpu?.cores).toBeGreaterThan(0);
    expect(detail.diagnostics.memory?.capacityBytes).toBeGreaterThan(0);
    expect(detail.diagnostics.displays?.length).toBeGreaterThan(0);
    expect(detail.diagnostics.extension).toMatchObject({ version: "0.1.0", installType: "development" });
    expect(detail.diagnostics.locale?.timeZone).toBeTruthy();
    expect(detail.diagnostics.network?.online).toBe(true);
    // Off ChromeOS the enterprise APIs are absent: a warning each, and the report still arrived.
    expect(detail.diagnostics.warnings.map((w) => w.collector)).toContain("deviceAttributes");
  });

  it("keeps a report made while the agent is down and delivers it once when it is back", async () => {
    await agent.close();
    await popup.getByRole("button", { name: "Report another problem" }).click();
    await popup.getByRole("button", { name: "Wi-Fi & internet" }).click();
    const note = `Made offline ${randomUUID()}`;
    await popup.getByLabel("Anything else we should know? (optional)").fill(note);
    await popup.getByRole("button", { name: "Send" }).click();
    await popup.getByText("Saved.").waitFor({ timeout: 20_000 });

    agent = await startAgent(config);
    const findIt = async () => {
      const page = await staffGet("/v1/staff/tickets?category=wifi_internet", (b) => staffTicketPage.parse(b));
      return page.tickets.filter((t) => t.note === note);
    };
    // The outbox retries on an alarm with backoff (15–30 s for the first retry).
    await expect.poll(async () => (await findIt()).length, { timeout: 120_000, interval: 2_000 }).toBe(1);

    const outbox = await browser.worker.evaluate(
      async () =>
        (await (globalThis as unknown as { chrome: ChromeNamespace }).chrome.storage.local.get("outbox")).outbox as {
          entries: unknown[];
        },
    );
    expect(outbox.entries).toEqual([]);
    const again = await browser.context.newPage();
    await again.goto(browser.extensionUrl("popup.html"));
    await again.getByRole("button", { name: "Screen" }).waitFor();
    expect(await again.getByText("waiting to be sent").count()).toBe(0);
    expect(await findIt()).toHaveLength(1);
  });

  it("offers Try again when the answer to Send is lost, and Try again shows the ticket already filed", async () => {
    const page = await browser.context.newPage();
    await page.goto(browser.extensionUrl("popup.html"));
    await page.getByRole("button", { name: "Screen" }).click();
    // The first Send reaches the service worker, which files the ticket; only its answer to the popup is
    // lost, as when the worker is stopped between delivering and answering.
    await page.evaluate(() => {
      type Runtime = { sendMessage: (...args: unknown[]) => unknown };
      const g = globalThis as unknown as { chrome?: { runtime?: Runtime }; browser?: { runtime?: Runtime } };
      let lost = false;
      const patched = new Set<Runtime>();
      for (const runtime of [g.chrome?.runtime, g.browser?.runtime]) {
        if (!runtime || patched.has(runtime)) continue;
        patched.add(runtime);
        const original = runtime.sendMessage.bind(runtime);
        runtime.sendMessage = (message: unknown, ...rest: unknown[]) => {
          if ((message as { type?: string })?.type !== "submitReport" || lost) return original(message, ...rest);
          lost = true;
          const answer = { error: "TechDesk's background service did not answer." };
          const callback = rest.find((a): a is (answer: unknown) => void => typeof a === "function");
          const others = rest.filter((a) => typeof a !== "function");
          if (callback) return original(message, ...others, () => callback(answer));
          return Promise.resolve(original(message, ...others)).then(() => answer);
        };
      }
    });
    const note = `Sent again ${randomUUID()}`;
    const filed = async () => {
      const page1 = await staffGet("/v1/staff/tickets?category=screen", (b) => staffTicketPage.parse(b));
      return page1.tickets.filter((t) => t.note === note).map((t) => `#${t.number}`);
    };
    await page.getByLabel("Anything else we should know? (optional)").fill(note);
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByRole("heading", { name: "Something went wrong" }).waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Something went wrong");
    const [first] = await filed();
    expect(first).toMatch(/^#\d+$/);

    await page.getByRole("button", { name: "Try again" }).click();
    const shown = page.getByTestId("ticket-number");
    await shown.waitFor({ timeout: 20_000 });
    // The same report under the same key: the ticket already filed, not a second one, and not refused.
    expect(await shown.textContent()).toBe(first);
    expect(await filed()).toEqual([first]);
    expect(await page.getByText("refused").count()).toBe(0);
  });
});

describe("the device side of the filter audit", () => {
  it("sends what the browser shows of its compliance, with the proxy mode from the real chrome.proxy", async () => {
    // The service worker sends at start-up; the agent keeps the latest report per device.
    await expect
      .poll(() => agent.store.db.selectFrom("deviceCompliance").selectAll().execute(), { timeout: 30_000 })
      .toHaveLength(1);
    const [row] = await agent.store.db.selectFrom("deviceCompliance").selectAll().execute();
    expect(proxyModes).toContain(row?.proxyMode);
    // `management` is optional and nobody granted it here: the report says it could not check.
    expect(row?.managementGranted).toBe(0);
    expect(row?.warnings).toContain("management permission is not granted");
  });
});
