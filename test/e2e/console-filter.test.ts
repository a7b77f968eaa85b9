/**
 * Filter integrity in Debian's Chromium against the real agent and its sandbox (whose demo district
 * has Washington Middle's students drifted): a tech team member runs a check and sees the drifted
 * school, without a way to change policy; Washington's IT lead restores it from the dry run; the
 * sandbox holds the baseline's values again and the next check passes. Then the lead pushes
 * TechDesk, configured for the school, in one action. Around those: a push goes to the OU its dry run
 * and its button name, an error from a moment's failure goes once the next load works, and the page's
 * news lands in status regions that were there from the start.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page, type Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildConsole } from "../../agent/console/build";
import { type RunningAgent, startAgent } from "../../agent/server";
import { createStaffUser } from "../../agent/services/staff-accounts";
import { lincoln, testConfig, washington } from "../support/agent";
import { chromiumArgs, chromiumPath, requireChromium } from "../support/chromium";
import { signedInPage } from "../support/console";

vi.setConfig({ testTimeout: 90_000 });

const password = "a long enough password";
const drifted = `${washington}/Students`;
let agent: RunningAgent;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  requireChromium();
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-filter-e2e-"));
  agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir, JOBS_ENABLED: "false" }));
  await buildConsole();
  await createStaffUser(agent.store.db, {
    email: "tech@washington.example.org",
    displayName: "Wes Tech",
    password,
    grants: [{ role: "student_tech_team", school: washington }],
  });
  await createStaffUser(agent.store.db, {
    email: "lead@washington.example.org",
    displayName: "Wren Lead",
    password,
    grants: [{ role: "school_it_lead", school: washington }],
  });
  await createStaffUser(agent.store.db, {
    email: "admin@district.example.org",
    displayName: "Dee Admin",
    password,
    grants: [{ role: "district_admin", school: "*" }],
  });
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
});
afterAll(async () => {
  await browser?.close();
  await agent?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Signed in as `email` on Filter integrity; `beforeOpening` can route the page's requests first. */
async function filterPage(email: string, beforeOpening?: (page: Page) => Promise<unknown>): Promise<Page> {
  const page = await signedInPage(browser, agent.url, email);
  await beforeOpening?.(page);
  await page.getByRole("link", { name: "Filter integrity" }).click();
  await page.getByRole("heading", { name: "Filter integrity" }).waitFor();
  return page;
}

/** The agent's answer while it restarts, for a request the test fails on purpose. */
const unavailable = (route: Route) =>
  route.fulfill({
    status: 503,
    json: { error: { code: "internal", message: "The agent is restarting.", requestId: "e2e" } },
  });

/** Marks the page's status regions as they are now, to tell them later from regions added since. */
const markStatusRegions = (page: Page) =>
  page.locator('[role="status"]').evaluateAll((regions) => {
    for (const region of regions) region.setAttribute("data-e2e-present", "");
  });
/** The text of the status regions that `markStatusRegions` found. */
const markedStatusText = (page: Page) => page.locator('[role="status"][data-e2e-present]').allTextContents();

const verdict = (page: Page) => page.getByTestId("filter-verdict").textContent({ timeout: 60_000 });

function sandboxValue(schema: string, field: string): unknown {
  const district = agent.google.sandbox?.context.district;
  const id = district?.orgUnits.find((o) => o.orgUnitPath === drifted)?.orgUnitId?.replace(/^id:/, "") ?? "";
  return district?.policies.get(id)?.get(schema)?.[field];
}

describe("filter integrity in the console", () => {
  it("lets a tech team member run a check and see the drifted school, and nothing to change it with", async () => {
    const page = await filterPage("tech@washington.example.org");
    await page.getByRole("button", { name: "Run check now" }).click();
    await expect.poll(() => verdict(page), { timeout: 60_000 }).toContain(`weakened at 1 OU: ${drifted}`);
    const school = page.getByTestId(`ou-${drifted}`);
    await expect.poll(() => school.textContent(), { timeout: 30_000 }).toMatch(/Incognito.*"UNAVAILABLE".*"AVAILABLE"/);
    await school.getByText("History").click();
    await expect
      .poll(() => school.textContent(), { timeout: 30_000 })
      .toMatch(/Incognito mode[^,]*: drift, found "AVAILABLE".*still open/);
    expect(await page.getByRole("button", { name: "Restore baseline…" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Save as a new version" }).count()).toBe(0);
    await page.close();
  });

  it("takes away a History error once History loads", async () => {
    let failures = 1;
    const page = await filterPage("tech@washington.example.org", (page) =>
      page.route(
        (url) => url.pathname === "/api/filter/history",
        (route) => (failures-- > 0 ? unavailable(route) : route.continue()),
      ),
    );
    const school = page.getByTestId(`ou-${drifted}`);
    const history = school.getByText("History");
    await history.click();
    await school.getByRole("alert").filter({ hasText: "The agent is restarting." }).waitFor();
    await history.click();
    await history.click();
    await expect.poll(() => school.textContent(), { timeout: 30_000 }).toMatch(/still open/);
    expect(await school.getByRole("alert").count()).toBe(0);
    await page.close();
  });

  it("lets the school's IT lead restore it from a dry run, and the next check passes", async () => {
    const page = await filterPage("lead@washington.example.org");
    await expect.poll(() => verdict(page), { timeout: 30_000 }).toContain(drifted);
    await page.getByTestId(`ou-${drifted}`).getByRole("button", { name: "Restore baseline…" }).click();
    const dryRun = page.getByRole("region", { name: `Dry run for ${drifted}` });
    await expect.poll(() => dryRun.textContent(), { timeout: 30_000 }).toMatch(/Incognito.*AVAILABLE.*UNAVAILABLE/);
    expect(sandboxValue("chrome.users.IncognitoMode", "incognitoModeAvailability")).toBe("AVAILABLE");
    await dryRun.getByRole("button", { name: /Apply \d+ changes?/ }).click();
    await expect
      .poll(() => page.getByTestId(`remediation-${drifted}`).textContent(), { timeout: 60_000 })
      .toContain("applied");
    expect(sandboxValue("chrome.users.IncognitoMode", "incognitoModeAvailability")).toBe(
      "INCOGNITO_MODE_AVAILABILITY_ENUM_UNAVAILABLE",
    );
    await page.getByRole("button", { name: "Run check now" }).click();
    await expect
      .poll(() => verdict(page), { timeout: 60_000 })
      .toBe("No school's filtering differs from the baseline.");
    await page.close();
  });

  it("saves one new baseline version for a double click on Save", async () => {
    const page = await filterPage("admin@district.example.org");
    await page
      .getByText(/^Baseline/)
      .first()
      .click();
    const editor = page.getByLabel("Baseline (JSON)");
    await expect.poll(() => editor.inputValue(), { timeout: 30_000 }).toMatch(/"rules"/);
    const versions = async () =>
      Number(
        (
          await agent.store.db
            .selectFrom("baselines")
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await versions();
    await page.getByRole("button", { name: "Save as a new version" }).dblclick();
    await expect
      .poll(() => page.getByRole("status").last().textContent(), { timeout: 30_000 })
      .toMatch(/Saved as version/);
    expect(await versions()).toBe(before + 1);
    await page.close();
  });

  it("lets the IT lead push TechDesk to the school in one action, configured for it", async () => {
    const page = await filterPage("lead@washington.example.org");
    const push = page.getByRole("region", { name: "Push TechDesk to a school" });
    await push.getByLabel("School (OU)").fill(washington);
    await push.getByRole("button", { name: "Dry run" }).click();
    await expect
      .poll(() => push.textContent(), { timeout: 30_000 })
      .toContain("Would write: TechDesk: managed configuration");
    await push.getByRole("button", { name: `Push TechDesk to ${washington}` }).click();
    await expect
      .poll(() => page.getByTestId(`remediation-${washington}`).textContent(), { timeout: 60_000 })
      .toContain("applied");
    const district = agent.google.sandbox?.context.district;
    const id = district?.orgUnits.find((o) => o.orgUnitPath === washington)?.orgUnitId?.replace(/^id:/, "") ?? "";
    const config = district?.policies
      .get(id)
      ?.get("chrome.users.apps.ManagedConfiguration#app_id=chrome:hclbedhgmicmhmlakomhbojpgaokbmko");
    expect(JSON.parse(String(config?.managedConfiguration))).toMatchObject({
      agentUrl: { Value: agent.url },
      enrollmentToken: { Value: expect.any(String) },
    });
    await page.close();
  });

  it("pushes TechDesk to the school its button names, though the school box changed after the dry run", async () => {
    const page = await filterPage("admin@district.example.org");
    const push = page.getByRole("region", { name: "Push TechDesk to a school" });
    await push.getByLabel("School (OU)").fill(lincoln);
    await push.getByRole("button", { name: "Dry run" }).click();
    await expect.poll(() => push.textContent(), { timeout: 30_000 }).toContain(`TechDesk at ${lincoln}`);
    await markStatusRegions(page);
    await push.getByLabel("School (OU)").fill(washington);
    const [pushed] = await Promise.all([
      page.waitForRequest(
        (request) => request.url().endsWith("/api/filter/apps/techdesk") && Boolean(request.postDataJSON()?.planHash),
      ),
      push.getByRole("button", { name: `Push TechDesk to ${lincoln}` }).click(),
    ]);
    expect(pushed.postDataJSON()).toMatchObject({ school: lincoln });
    await expect
      .poll(() => markedStatusText(page), { timeout: 30_000 })
      .toContain(`TechDesk declared at ${lincoln} and queued for Google.`);
    await expect
      .poll(() => page.getByTestId(`remediation-${lincoln}`).textContent(), { timeout: 60_000 })
      .toContain("applied");
    expect(await push.getByRole("alert").count()).toBe(0);
    await page.close();
  });

  it("pushes an app to the OU it was dry-run for, though the OU box changed after the dry run", async () => {
    const page = await filterPage("admin@district.example.org");
    await page.getByText("Push an app or extension").click();
    await page.getByLabel("OU", { exact: true }).fill(lincoln);
    await page.getByLabel("Extension id").fill("abcdefghijklmnopabcdefghijklmnop");
    await page.getByLabel("Name", { exact: true }).fill("Reading Buddy");
    await page.getByRole("button", { name: "Dry run" }).last().click();
    await page.getByRole("button", { name: `Push to ${lincoln}` }).waitFor({ timeout: 30_000 });
    await page.getByLabel("OU", { exact: true }).fill(washington);
    const [pushed] = await Promise.all([
      page.waitForRequest(
        (request) => request.url().endsWith("/api/filter/apps") && Boolean(request.postDataJSON()?.planHash),
      ),
      page.getByRole("button", { name: `Push to ${lincoln}` }).click({ timeout: 5_000 }),
    ]);
    expect(pushed.postDataJSON()).toMatchObject({ ouPath: lincoln, app: { name: "Reading Buddy" } });
    await expect
      .poll(() => page.getByRole("status").allTextContents(), { timeout: 30_000 })
      .toContain(`Reading Buddy declared at ${lincoln} and queued for Google.`);
    await page.close();
  });

  it("takes the last dry run's Push button away when the next dry run is refused for invalid JSON", async () => {
    const page = await filterPage("admin@district.example.org");
    await page.getByText("Push an app or extension").click();
    await page.getByLabel("OU", { exact: true }).fill(lincoln);
    await page.getByLabel("Extension id").fill("abcdefghijklmnopabcdefghijklmnop");
    await page.getByLabel("Name", { exact: true }).fill("Reading Buddy");
    await page.getByRole("button", { name: "Dry run" }).last().click();
    await page.getByRole("button", { name: `Push to ${lincoln}` }).waitFor({ timeout: 30_000 });
    await page.getByLabel("Managed configuration (JSON, optional)").fill("{ not json");
    await page.getByRole("button", { name: "Dry run" }).last().click();
    await expect
      .poll(() => page.getByRole("alert").allTextContents())
      .toContainEqual(expect.stringMatching(/^The managed configuration is not valid JSON/));
    expect(await page.getByRole("button", { name: `Push to ${lincoln}` }).count()).toBe(0);
    await page.close();
  });

  it("takes the failed load's error away when the dashboard next loads", async () => {
    let failNext = false;
    let failed = false;
    let recover = () => {};
    const recovered = new Promise<void>((resolve) => {
      recover = resolve;
    });
    const page = await filterPage("tech@washington.example.org", (page) =>
      page.route(
        (url) => url.pathname === "/api/filter",
        async (route) => {
          if (failNext) {
            failNext = false;
            failed = true;
            return unavailable(route);
          }
          // Hold the loads after the failure until the test has seen its error.
          if (failed) await recovered;
          const response = await route.fetch();
          // A check still running keeps the page loading the dashboard again.
          return route.fulfill({ response, json: { ...(await response.json()), running: true } });
        },
      ),
    );
    await page.getByTestId("check-progress").waitFor();
    failNext = true;
    const failure = page.getByRole("alert").filter({ hasText: "The agent is restarting." });
    await failure.waitFor();
    recover();
    await expect.poll(() => failure.count(), { timeout: 10_000 }).toBe(0);
    await page.close();
  });

  it("says what happened in status regions that were in the page from the start", async () => {
    const page = await filterPage("admin@district.example.org");
    await page.getByTestId("filter-verdict").waitFor();
    await markStatusRegions(page);
    await page.getByRole("button", { name: "Run check now" }).click();
    await expect.poll(() => markedStatusText(page), { timeout: 30_000 }).toContain("Check started.");
    await page
      .getByText(/^Baseline/)
      .first()
      .click();
    await expect.poll(() => page.getByLabel("Baseline (JSON)").inputValue(), { timeout: 30_000 }).toMatch(/"rules"/);
    await page.getByRole("button", { name: "Save as a new version" }).click();
    await expect
      .poll(async () => (await markedStatusText(page)).join(" | "), { timeout: 30_000 })
      .toMatch(/Saved as version \d+\. The next check uses it\./);
    await page.close();
  });
});
