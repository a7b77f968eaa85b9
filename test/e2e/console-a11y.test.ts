/**
 * The staff console for someone using a screen reader, and for a quick double click, in Debian's
 * Chromium against the real agent: status regions are in the page, empty, before their news (a
 * region that appears with its text is often not announced), the Jobs page says when a run starts
 * and ends (once, not on every poll), a change is sent once however often its button is clicked,
 * and an error goes once a later try works.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildConsole } from "../../agent/console/build";
import { type RunningAgent, startAgent } from "../../agent/server";
import { createStaffUser } from "../../agent/services/staff-accounts";
import { lincoln, testConfig } from "../support/agent";
import { chromiumArgs, chromiumPath, requireChromium } from "../support/chromium";
import { countRequests, holdUntilReleased, refuse, signedInPage } from "../support/console";

vi.setConfig({ testTimeout: 90_000 });

const password = "a long enough password";
const admin = "admin@district.example.org";
const lead = "lead@lincoln.example.org";
const coach = "coach@lincoln.example.org";
let agent: RunningAgent;
let browser: Browser;
let dataDir: string;
let devices: { deviceId: string; serialNumber: string }[];

beforeAll(async () => {
  requireChromium();
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-a11y-e2e-"));
  agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir, JOBS_ENABLED: "false" }));
  await buildConsole();
  const sync = await agent.jobs.run("inventory-full-sync", "manual");
  expect(sync).toMatchObject({ ran: true, status: "succeeded" });
  for (const [email, role, school] of [
    [admin, "district_admin", "*"],
    [lead, "school_it_lead", lincoln],
    [coach, "coach", lincoln],
  ] as const)
    await createStaffUser(agent.store.db, {
      email,
      displayName: email.split("@")[0] as string,
      password,
      grants: [{ role, school }],
    });
  devices = (
    await agent.store.db
      .selectFrom("devices")
      .select(["deviceId", "serialNumber"])
      .where("orgUnitPath", "=", `${lincoln}/Students`)
      .where("status", "=", "ACTIVE")
      .orderBy("deviceId")
      .limit(3)
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

/**
 * The one status region in `scope`, checked to be there and empty before any news, and marked, so
 * that the news can be looked for in that same element: had the page put a new region in with the
 * news, the marked one would be gone.
 */
async function waitingRegion(scope: Page | Locator): Promise<Locator> {
  const region = scope.getByRole("status");
  expect(await region.count()).toBe(1);
  expect(await region.textContent()).toBe("");
  await region.evaluate((element) => element.setAttribute("data-waiting", ""));
  return scope.locator("[role=status][data-waiting]");
}

/** How many times the element's text changes over `ms`. */
const textChangesOver = (region: Locator, ms: number) =>
  region.evaluate(
    (element, wait) =>
      new Promise<number>((resolve) => {
        let changes = 0;
        const observer = new MutationObserver((records) => {
          changes += records.length;
        });
        observer.observe(element, { childList: true, characterData: true, subtree: true });
        setTimeout(() => {
          observer.disconnect();
          resolve(changes);
        }, wait);
      }),
    ms,
  );

describe("the console for a screen reader and a double click", () => {
  it("puts each page's news in a status region that was there, empty, before it", async () => {
    const page = await signedIn(lead);
    const tickets = holdUntilReleased();
    const verify = holdUntilReleased();
    await page.route(/\/api\/tickets\?/, tickets.handler);
    await page.route("**/api/audit/verify", verify.handler);
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    const chain = await waitingRegion(page);
    await verify.release();
    await expect.poll(() => chain.textContent(), { timeout: 10_000 }).toMatch(/^Hash chain intact through \d+ entr/);

    await page.getByRole("link", { name: "Tickets" }).click();
    await page.getByRole("heading", { name: "Tickets" }).waitFor();
    const count = await waitingRegion(page);
    await tickets.release();
    await page.unroute(/\/api\/tickets\?/);
    await expect.poll(() => count.textContent(), { timeout: 10_000 }).toBe("0 tickets in your schools");

    const device = devices[2] as { deviceId: string; serialNumber: string };
    await page.goto(`${agent.url}/#/devices/${encodeURIComponent(device.deviceId)}`);
    const panel = page.getByRole("region", { name: "Device actions" });
    await panel.getByRole("button", { name: "Mark lost" }).click();
    const marked = await waitingRegion(panel);
    const lost = panel.getByRole("form", { name: `Mark ${device.serialNumber} lost or stolen` });
    await lost.getByLabel("Reason").fill("Left in the gym");
    await lost.getByRole("button", { name: `Mark ${device.serialNumber} lost or stolen` }).click();
    await expect
      .poll(() => marked.textContent(), { timeout: 10_000 })
      .toBe(`${device.serialNumber} is marked missing. Disable it now, or the overnight lockdown will.`);

    await page.getByRole("link", { name: "Lost & stolen" }).click();
    const messages = page.locator("details", { hasText: "Message on disabled devices" });
    await messages.getByText("Message on disabled devices").click();
    const saved = await waitingRegion(messages);
    const school = messages.getByRole("form").first();
    await school.getByRole("textbox").fill("Please return this Chromebook to the front office.");
    await school.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => saved.textContent(), { timeout: 10_000 }).toMatch(/^Saved: disabled devices at .+/);
    await page.close();

    const adminPage = await signedIn(admin);
    await adminPage.getByRole("link", { name: "Users and roles" }).click();
    await adminPage.getByRole("heading", { name: "Users and roles" }).waitFor();
    const added = await waitingRegion(adminPage);
    const add = adminPage.getByRole("form", { name: "Add a user" });
    await add.getByLabel("Email").fill("new.tech@lincoln.example.org");
    await add.getByLabel("Name").fill("Noa Tech");
    await add.getByLabel("Role").selectOption("student_tech_team");
    await add.getByLabel(/^School/).fill(lincoln);
    await add.getByRole("button", { name: "Add user" }).click();
    await expect.poll(() => added.textContent(), { timeout: 10_000 }).toBe("Added new.tech@lincoln.example.org.");
    await adminPage.close();
  });

  it("says on the Jobs page when a run starts and when it ends, once each, and nothing on a poll that finds no change", async () => {
    const page = await signedIn(admin);
    await page.getByRole("link", { name: "Jobs" }).click();
    const title = "Inventory: changes since last sync";
    const job = page.getByRole("region", { name: title });
    await job.getByRole("button", { name: "Run now" }).waitFor();
    const news = await waitingRegion(page);
    await job.getByRole("button", { name: "Run now" }).click();
    await expect.poll(() => news.textContent()).toBe(`${title} started.`);
    await expect
      .poll(() => news.textContent(), { timeout: 60_000 })
      .toMatch(new RegExp(`^${title} succeeded \\(started .+, took \\d+\\.\\d s\\)\\.$`));
    // The page polls every 3 s: two polls that find the run as it was leave the region alone.
    expect(await textChangesOver(news, 7000)).toBe(0);

    // A run started elsewhere (its schedule, another agent) is said when it starts and when it fails.
    let newest: Record<string, unknown> | undefined;
    await page.route("**/api/jobs", async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { jobs: { name: string; runs: unknown[] }[] };
      if (newest) body.jobs.find((j) => j.name === "inventory-incremental-sync")?.runs.unshift(newest);
      await route.fulfill({ response, json: body });
    });
    const startedAt = new Date();
    const time = await page.evaluate(
      (iso) => new Date(iso).toLocaleTimeString(undefined, { timeStyle: "short" }),
      startedAt.toISOString(),
    );
    newest = { id: 1_000_000, trigger: "schedule", status: "running", startedAt: startedAt.toISOString(), detail: {} };
    await expect.poll(() => news.textContent(), { timeout: 10_000 }).toBe(`${title} is running (started ${time}).`);
    newest = { ...newest, status: "failed", durationMs: 4200, error: "Google could not be reached" };
    await expect
      .poll(() => news.textContent(), { timeout: 10_000 })
      .toBe(`${title} failed (started ${time}, took 4.2 s): Google could not be reached`);
    await page.close();
  });

  it("sends a change of a person once however quickly its button is clicked twice, the buttons waiting meanwhile", async () => {
    const page = await signedIn(admin);
    await page.getByRole("link", { name: "Users and roles" }).click();
    const row = page.locator("tr", { hasText: coach });
    await row.waitFor();
    const news = page.getByRole("status");
    const changes = countRequests(page, (method, url) => method === "PATCH" && url.includes("/api/users/"));
    const held = holdUntilReleased("PATCH");
    await page.route("**/api/users/*", held.handler);

    const disable = page.getByRole("button", { name: `Disable ${coach}` });
    await disable.dblclick();
    // While the change is on its way every button that makes one waits, and says so.
    expect(await disable.getAttribute("aria-disabled")).toBe("true");
    expect(await page.getByRole("button", { name: "Add user" }).getAttribute("aria-disabled")).toBe("true");
    await held.release();
    await expect.poll(() => news.textContent(), { timeout: 10_000 }).toBe(`${coach} is now disabled.`);
    expect(changes()).toBe(1);
    const enable = page.getByRole("button", { name: `Enable ${coach}` });
    await expect.poll(() => enable.getAttribute("aria-disabled")).toBe("false");

    // From the keyboard, Enter pressed twice: one change, and the button keeps focus throughout.
    await enable.focus();
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await held.release();
    await expect.poll(() => news.textContent(), { timeout: 10_000 }).toBe(`${coach} is now enabled.`);
    expect(changes()).toBe(2);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(`Disable ${coach}`);

    await row.getByText("Change role").click();
    await row.getByLabel("Role", { exact: true }).selectOption("student_tech_team");
    await row.getByRole("button", { name: "Save role" }).dblclick();
    await held.release();
    await expect.poll(() => news.textContent(), { timeout: 10_000 }).toBe(`Changed the role of ${coach}.`);
    expect(changes()).toBe(3);
    expect(await page.getByRole("alert").count()).toBe(0);
    await page.close();
  });

  it("takes a loaner back once on a double click of Loaner returned", async () => {
    const device = devices[0] as { deviceId: string; serialNumber: string };
    const page = await signedIn(lead);
    await page.goto(`${agent.url}/#/devices/${encodeURIComponent(device.deviceId)}`);
    const panel = page.getByRole("region", { name: "Device actions" });
    await panel.getByRole("button", { name: "Lend as loaner" }).click();
    const news = panel.getByRole("status");
    const lend = panel.getByRole("form", { name: `Lend ${device.serialNumber} as a loaner` });
    await lend.getByLabel("Student's email").fill("ada.l@students.example.org");
    await lend.getByLabel("Due back").fill("2030-06-01T15:00");
    await lend.getByRole("button", { name: `Lend ${device.serialNumber} as a loaner` }).click();
    await expect
      .poll(() => news.textContent(), { timeout: 10_000 })
      .toBe(`${device.serialNumber} is lent to ada.l@students.example.org.`);

    const returns = countRequests(page, (method, url) => method === "POST" && url.endsWith("/return"));
    await panel.getByRole("button", { name: "Loaner returned" }).dblclick();
    await expect.poll(() => news.textContent(), { timeout: 10_000 }).toBe("Loaner returned.");
    await panel.getByRole("button", { name: "Lend as loaner" }).waitFor();
    expect(returns()).toBe(1);
    expect(await page.getByRole("alert").count()).toBe(0);
    await page.close();
  });

  it("clears the Settings page's error once a later check gets through", async () => {
    const page = await signedIn(admin);
    await page.getByRole("link", { name: "Settings" }).click();
    const connection = page.getByRole("region", { name: "Google connection" });
    const check = connection.getByRole("button", { name: "Check the connection" });
    await check.waitFor();
    const result = connection.getByRole("status");
    await page.route("**/api/settings/google/check", refuse("The agent is restarting."), { times: 1 });
    await check.click();
    await expect.poll(() => page.getByRole("alert").allTextContents()).toEqual(["The agent is restarting."]);
    await check.click();
    await expect.poll(() => result.textContent(), { timeout: 10_000 }).toMatch(/\(.+\)$/);
    await expect.poll(() => page.getByRole("alert").count()).toBe(0);
    await page.close();
  });

  it("clears the notifications' error once they load again", async () => {
    const page = await signedIn(lead);
    const bell = page.getByRole("button", { name: /^Notifications/ });
    await page.route("**/api/notifications", refuse("The agent is restarting."), { times: 1 });
    await bell.click();
    await expect.poll(() => page.getByRole("alert").allTextContents()).toEqual(["The agent is restarting."]);
    await bell.click();
    await bell.click();
    await page.getByRole("region", { name: "Notifications" }).waitFor();
    await expect.poll(() => page.getByRole("alert").count(), { timeout: 10_000 }).toBe(0);
    await page.close();
  });

  it("clears the Lost & stolen page's errors once a later load and a later lookup work", async () => {
    const device = devices[1] as { deviceId: string; serialNumber: string };
    const page = await signedIn(lead);
    await page.getByRole("link", { name: "Lost & stolen" }).click();
    // Shown once the page has loaded (and found this person may disable devices).
    await page.getByText("Message on disabled devices").waitFor();

    // The list's reload after the disable fails, and so does the first look at how the disable goes.
    await page.route("**/api/missing-devices", refuse("The list of missing devices did not load."), { times: 1 });
    await page.route(/\/api\/device-actions\?ids=/, refuse("The disables could not be looked up."), { times: 1 });
    await page.getByLabel("Serials or asset tags").fill(device.serialNumber);
    await page.getByRole("button", { name: "Match" }).click();
    const form = page.getByRole("form", { name: "Disable matched devices" });
    await form.getByLabel("Reason").fill("Stolen from the cart");
    await form.getByLabel(/to confirm/).fill(device.serialNumber);
    await form.getByRole("button", { name: "Disable 1 matched device" }).click();
    const alerts = () => page.getByRole("alert").allTextContents();
    await expect.poll(alerts, { timeout: 10_000 }).toContain("The list of missing devices did not load.");
    await expect.poll(alerts, { timeout: 10_000 }).toContain("The disables could not be looked up.");
    await expect
      .poll(() => page.getByTestId(`disable-${device.serialNumber}`).textContent(), { timeout: 60_000 })
      .toContain("disabled");
    await expect.poll(alerts, { timeout: 10_000 }).toEqual([]);
    await page.close();
  });
});
