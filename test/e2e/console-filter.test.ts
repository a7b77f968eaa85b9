/**
 * Filter integrity in Debian's Chromium against the real agent and its sandbox (whose demo district
 * has Washington Middle's students drifted): a tech team member runs a check and sees the drifted
 * school, without a way to change policy; Washington's IT lead restores it from the dry run; the
 * sandbox holds the baseline's values again and the next check passes. Then the lead pushes
 * TechDesk, configured for the school, in one action.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildConsole } from "../../agent/console/build";
import { type RunningAgent, startAgent } from "../../agent/server";
import { createStaffUser } from "../../agent/services/staff-accounts";
import { testConfig, washington } from "../support/agent";
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
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
});
afterAll(async () => {
  await browser?.close();
  await agent?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function filterPage(email: string): Promise<Page> {
  const page = await signedInPage(browser, agent.url, email);
  await page.getByRole("link", { name: "Filter integrity" }).click();
  await page.getByRole("heading", { name: "Filter integrity" }).waitFor();
  return page;
}

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
    await createStaffUser(agent.store.db, {
      email: "admin@district.example.org",
      displayName: "Dee Admin",
      password,
      grants: [{ role: "district_admin", school: "*" }],
    });
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
});
