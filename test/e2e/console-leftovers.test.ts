/**
 * The staff console when a request fails or work finishes, in Debian's Chromium against the real
 * agent and its sandbox: the Audit page keeps a failed hash-chain check on screen until a later one
 * works; a ticket whose reload fails stays on screen with the error and a way to try again; a double
 * click on a return message's Save saves it once; Filter integrity recovers from a failed first load
 * with Try again, and its notices say when the check or restore they announced is done.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildConsole } from "../../agent/console/build";
import { type RunningAgent, startAgent } from "../../agent/server";
import { createStaffUser } from "../../agent/services/staff-accounts";
import { lincoln, sampleDiagnostics, sampleReport, testConfig, washington } from "../support/agent";
import { chromiumArgs, chromiumPath, requireChromium } from "../support/chromium";
import { countRequests, fileTicketFromChromebook, holdUntilReleased, refuse, signedInPage } from "../support/console";

vi.setConfig({ testTimeout: 120_000 });

const password = "a long enough password";
const admin = "admin@district.example.org";
const lead = "lead@lincoln.example.org";
const drifted = `${washington}/Students`;
let agent: RunningAgent;
let browser: Browser;
let dataDir: string;
let ticket: number;

/** A ticket filed from an enrolled Lincoln Chromebook, as a student would; answers its number. */
async function fileTicket(serialNumber: string): Promise<number> {
  return fileTicketFromChromebook(
    agent.url,
    serialNumber,
    sampleReport({
      category: "broken_damaged",
      note: "The charger port is loose.",
      diagnostics: sampleDiagnostics({ deviceAttributes: { serialNumber } }),
    }),
  );
}

beforeAll(async () => {
  requireChromium();
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-leftovers-e2e-"));
  agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir, JOBS_ENABLED: "false" }));
  await buildConsole();
  for (const [email, role, school] of [
    [admin, "district_admin", "*"],
    [lead, "school_it_lead", lincoln],
  ] as const)
    await createStaffUser(agent.store.db, {
      email,
      displayName: email.split("@")[0] as string,
      password,
      grants: [{ role, school }],
    });
  ticket = await fileTicket("LHS0004242");
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
});
afterAll(async () => {
  await browser?.close();
  await agent?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const signedIn = (email: string) => signedInPage(browser, agent.url, email);

/** The id of the element that has focus. */
const focused = (page: Page) => page.evaluate(() => document.activeElement?.id);

/** The text of every status region on the page. */
const statusTexts = (page: Page) => page.getByRole("status").allTextContents();

describe("the console after a failed request, a double click, or finished work", () => {
  it("keeps a failed hash-chain check on screen through a filter load, until a later check works", async () => {
    const page = await signedIn(lead);
    await page.route("**/api/audit/verify", refuse("The agent is restarting."), { times: 1 });
    await page.getByRole("link", { name: "Audit log" }).click();
    const failure = page.getByRole("alert").filter({ hasText: "The agent is restarting." });
    await failure.waitFor();

    // Entries loaded with a filter: the chain's failure is not theirs to take away.
    await page.getByLabel("Action (e.g. device.disable)").fill("device.disable");
    await Promise.all([
      page.waitForResponse((response) => response.url().includes("/api/audit?action=device.disable")),
      page.getByRole("button", { name: "Apply" }).click(),
    ]);
    await page.getByText("No entries match.").waitFor();
    expect(await failure.count()).toBe(1);
    expect(await failure.textContent()).toBe("The hash chain could not be checked: The agent is restarting.");

    await page.getByRole("button", { name: "Try again" }).click();
    await expect
      .poll(() => page.getByTestId("chain").textContent(), { timeout: 10_000 })
      .toMatch(/^Hash chain intact through \d+ entr/);
    expect(await page.getByRole("alert").count()).toBe(0);
    // The button went with the error: focus is on the page's heading, not lost.
    await expect.poll(() => focused(page)).toBe("audit-heading");
    await page.close();
  });

  it("keeps the ticket on screen when its reload after an action fails, and loads it on Try again", async () => {
    const page = await signedIn(lead);
    await page.goto(`${agent.url}/#/tickets/${ticket}`);
    const heading = page.locator("#ticket-heading");
    await heading.waitFor();
    let failures = 2;
    await page.route(
      (url) => url.pathname === `/api/tickets/${ticket}`,
      (route) =>
        route.request().method() === "GET" && failures-- > 0
          ? refuse("The agent is restarting.")(route)
          : route.continue(),
    );
    await page.getByLabel("Comment").fill("Spare charger handed over.");
    await page.getByRole("button", { name: "Add comment" }).click();
    const failure = page.getByRole("alert").filter({ hasText: "The agent is restarting." });
    await failure.waitFor();
    // The ticket as last loaded is still there, and can still be worked.
    expect(await heading.count()).toBe(1);
    expect(await heading.textContent()).toMatch(new RegExp(`^#${ticket} · `));
    expect(await page.getByTestId("ticket-summary").count()).toBe(1);
    expect(await page.getByRole("button", { name: "Add comment" }).count()).toBe(1);
    expect(await failure.textContent()).toBe(
      "This ticket could not be loaded again, so it shows as it was: The agent is restarting.",
    );

    // A try that fails too takes the error away and puts it back, so that it is announced again.
    await failure.evaluate((element) => element.setAttribute("data-first", ""));
    const tryAgain = page.getByRole("button", { name: "Try again" });
    await tryAgain.click();
    await expect.poll(() => failures).toBe(0);
    await page.locator('[role="alert"]:not([data-first])', { hasText: "The agent is restarting." }).waitFor();

    await tryAgain.click();
    await expect
      .poll(() => page.locator(".timeline").textContent(), { timeout: 10_000 })
      .toContain("Spare charger handed over.");
    expect(await page.getByRole("alert").count()).toBe(0);
    await expect.poll(() => focused(page)).toBe("ticket-heading");
    await page.close();
  });

  it("saves a return message once on a double click of Save, the button waiting meanwhile and keeping focus", async () => {
    const page = await signedIn(lead);
    await page.getByRole("link", { name: "Lost & stolen" }).click();
    const messages = page.locator("details", { hasText: "Message on disabled devices" });
    await messages.getByText("Message on disabled devices").click();
    const school = messages.getByRole("form").first();
    await school.getByRole("textbox").fill("Please return this Chromebook to the front office.");
    const saves = countRequests(page, (method, url) => method === "POST" && url.endsWith("/api/return-instructions"));
    const held = holdUntilReleased("POST");
    await page.route("**/api/return-instructions", held.handler);

    const save = school.getByRole("button", { name: "Save" });
    await save.dblclick();
    expect(await save.getAttribute("aria-disabled")).toBe("true");
    await held.release();
    await expect
      .poll(() => messages.getByRole("status").textContent(), { timeout: 10_000 })
      .toMatch(/^Saved: disabled devices at .+ now show this message\.$/);
    expect(saves()).toBe(1);
    await expect.poll(() => save.getAttribute("aria-disabled")).toBe("false");
    expect(await save.evaluate((element) => element === document.activeElement)).toBe(true);
    expect(await page.getByRole("alert").count()).toBe(0);
    await page.close();
  });

  it("offers Try again when the Filter page's first load fails, and shows the page once it works", async () => {
    const page = await signedIn(admin);
    await page.route((url) => url.pathname === "/api/filter", refuse("The agent is restarting."), { times: 1 });
    await page.getByRole("link", { name: "Filter integrity" }).click();
    const failure = page.getByRole("alert").filter({ hasText: "The agent is restarting." });
    await failure.waitFor();
    await page.getByRole("button", { name: "Try again" }).click({ timeout: 5_000 });
    await page.getByTestId("filter-verdict").waitFor({ timeout: 10_000 });
    expect(await failure.count()).toBe(0);
    await expect.poll(() => focused(page)).toBe("filter-heading");
    await page.close();
  });

  it("takes 'Check started.' away once the dashboard shows the check finished", async () => {
    const page = await signedIn(admin);
    await page.getByRole("link", { name: "Filter integrity" }).click();
    await page.getByTestId("filter-verdict").waitFor();
    await page.getByRole("button", { name: "Run check now" }).click();
    await expect.poll(() => statusTexts(page), { timeout: 10_000 }).toContain("Check started.");
    // No check had run on this agent: its result replaces "No check has run yet."
    await page.getByTestId("last-check").waitFor({ timeout: 60_000 });
    await expect.poll(() => statusTexts(page), { timeout: 5_000 }).not.toContain("Check started.");
    await expect.poll(() => page.getByTestId("filter-verdict").textContent()).toContain(drifted);
    await page.close();
  });

  it("says a restore failed or was applied once the dashboard shows it, not that it is queued", async () => {
    const page = await signedIn(admin);
    // First a restore Google refuses: the agent's answers are made up here, the refusal included.
    const refused = { id: "e2e-refused", state: "failed", error: "Google refused the change: invalid value." };
    let madeUp = false;
    let showRefused = false;
    await page.route(
      (url) => url.pathname === "/api/filter/restores",
      async (route) => {
        if (madeUp || route.request().method() !== "POST") return route.continue();
        madeUp = true;
        showRefused = true;
        const queued = { ...refused, kind: "restore", ouPath: drifted, state: "queued", error: undefined };
        return route.fulfill({ status: 202, json: { remediation: { ...queued, writes: [], createdAt: "" } } });
      },
    );
    let release = () => {};
    let held: Promise<void> | undefined;
    await page.route(
      (url) => url.pathname === "/api/filter",
      async (route) => {
        // Dashboards loaded after the restore wait until the test has seen it announced as queued.
        if (held) await held;
        const response = await route.fetch();
        const dashboard = (await response.json()) as { queue: { remediations: unknown[] } };
        if (showRefused)
          dashboard.queue.remediations.unshift({
            ...refused,
            kind: "restore",
            ouPath: drifted,
            writes: [],
            requestedBy: "Dee Admin",
            createdAt: new Date().toISOString(),
          });
        return route.fulfill({ response, json: dashboard });
      },
    );
    await page.getByRole("link", { name: "Filter integrity" }).click();
    const school = page.getByTestId(`ou-${drifted}`);
    const queuedText = `Restore of ${drifted} queued: it is written to Google below, then checked again.`;

    async function restore() {
      await school.getByRole("button", { name: "Restore baseline…" }).click();
      const dryRun = page.getByRole("region", { name: `Dry run for ${drifted}` });
      held = new Promise((resolve) => {
        release = resolve;
      });
      await dryRun.getByRole("button", { name: /Apply \d+ changes?/ }).click({ timeout: 30_000 });
      await expect.poll(() => statusTexts(page), { timeout: 10_000 }).toContain(queuedText);
      held = undefined;
      release();
    }

    await restore();
    await expect
      .poll(() => statusTexts(page), { timeout: 10_000 })
      .toContain(`Restore of ${drifted} failed: Google refused the change: invalid value.`);
    showRefused = false;

    // Then one the agent queues and applies in the sandbox.
    await restore();
    await expect
      .poll(() => page.getByTestId(`remediation-${drifted}`).textContent(), { timeout: 60_000 })
      .toContain("applied");
    await expect
      .poll(() => statusTexts(page), { timeout: 10_000 })
      .toContain(`Restore of ${drifted} applied: Google has the baseline's settings there again.`);
    expect(await statusTexts(page)).not.toContain(queuedText);
    await page.close();
  });
});
