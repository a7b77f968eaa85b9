/**
 * The staff console in Debian's Chromium against the real agent: sign-in with a local account, the
 * queue with filters, search and paging, working a ticket to resolution, and a student tech team
 * member being refused an IT lead's action.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsole } from "../../agent/console/build";
import { type RunningAgent, startAgent } from "../../agent/server";
import { createStaffUser } from "../../agent/services/staff-accounts";
import { type ProblemReport, reportReceipt } from "../../shared";
import { lincoln, lincolnToken, sampleDiagnostics, sampleReport, testConfig, washingtonToken } from "../support/agent";
import { chromiumArgs, chromiumPath, requireChromium } from "../support/chromium";
import { holdUntilReleased, signedInPage } from "../support/console";

const password = "a long enough password";
let agent: RunningAgent;
let browser: Browser;
let dataDir: string;
let target: { number: number; serial: string; student: string };

async function fileTicket(credential: string, report: ProblemReport): Promise<number> {
  const response = await fetch(`${agent.url}/v1/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
    body: JSON.stringify(report),
  });
  return reportReceipt.parse(await response.json()).ticket.number;
}

async function enroll(token: string, serialNumber: string): Promise<string> {
  const response = await fetch(`${agent.url}/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ enrollmentToken: token, device: { serialNumber } }),
  });
  return ((await response.json()) as { credential: string }).credential;
}

beforeAll(async () => {
  requireChromium();
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-console-e2e-"));
  agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir }));
  await buildConsole();
  const db = agent.store.db;
  await createStaffUser(db, {
    email: "lead@lincoln.example.org",
    displayName: "Lee Lead",
    password,
    grants: [{ role: "school_it_lead", school: lincoln }],
  });
  await createStaffUser(db, {
    email: "admin@district.example.org",
    displayName: "Dana Admin",
    password,
    grants: [{ role: "district_admin", school: "*" }],
  });
  await createStaffUser(db, {
    email: "tech@lincoln.example.org",
    displayName: "Tam Tech",
    password,
    grants: [{ role: "student_tech_team", school: lincoln }],
  });
  const lincolnDevice = await enroll(lincolnToken, "LHS0000001");
  const washingtonDevice = await enroll(washingtonToken, "WMS0000001");
  const categories = ["screen", "battery_charging", "how_to", "slow", "wifi_internet"] as const;
  for (let i = 0; i < 60; i++) {
    const serial = `LHS${String(i).padStart(7, "0")}`;
    // Each from its own device: a ticket's device is the one that enrolled.
    await fileTicket(
      i === 1 ? lincolnDevice : await enroll(lincolnToken, serial),
      sampleReport({
        category: categories[i % categories.length],
        diagnostics: sampleDiagnostics({
          deviceAttributes: { serialNumber: serial, assetId: `LHS-${1000 + i}` },
          user: { email: `kid${i}@students.example.org` },
        }),
      }),
    );
  }
  await fileTicket(washingtonDevice, sampleReport({ note: `Washington only ${randomUUID()}` }));
  const serial = "5CD9999ZZZ";
  const number = await fileTicket(
    await enroll(lincolnToken, serial),
    sampleReport({
      category: "broken_damaged",
      note: "Dropped it on the stairs; the hinge cracked.",
      diagnostics: sampleDiagnostics({
        deviceAttributes: { serialNumber: serial, assetId: "LHS-7777" },
        user: { email: "ada.l@students.example.org" },
      }),
    }),
  );
  target = { number, serial, student: "ada.l@students.example.org" };
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
  });
});

afterAll(async () => {
  await browser?.close();
  await agent?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const signedIn = (email: string) => signedInPage(browser, agent.url, email);

const ticketNumbers = async (page: Page) =>
  (await page.locator("table.tickets tbody tr td:first-child").allTextContents()).map((t) =>
    Number(t.replace("#", "")),
  );

describe("the staff console", () => {
  it("refuses a wrong password, then signs in with the keyboard alone", async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${agent.url}/`);
    await page.getByLabel("Email").fill("lead@lincoln.example.org");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/do not match an account/);

    await page.getByLabel("Password").fill("");
    await page.getByLabel("Password").focus();
    await page.keyboard.type(password);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Tickets" }).waitFor();
    expect(await page.getByText("Lee Lead").count()).toBe(1);
    await page.close();
  });

  it("finds a student's ticket among many: search, filters and paging, only in the lead's school", async () => {
    const page = await signedIn("lead@lincoln.example.org");
    await expect.poll(() => page.getByRole("status").first().textContent()).toMatch(/61 tickets in your schools/);
    expect(await page.getByText("Washington only").count()).toBe(0);

    const first = await ticketNumbers(page);
    expect(first).toHaveLength(50);
    await page.getByRole("button", { name: "Next page" }).click();
    await expect.poll(async () => (await ticketNumbers(page)).length).toBe(11);
    await page.getByRole("button", { name: "Previous page" }).click();
    await expect.poll(() => ticketNumbers(page)).toEqual(first);

    for (const q of [target.serial, "LHS-7777", "ada.l@", `#${target.number}`]) {
      await page.getByLabel("Search").fill(q);
      await page.getByRole("button", { name: "Apply" }).click();
      await expect.poll(() => ticketNumbers(page), { message: q }).toEqual([target.number]);
    }

    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByLabel("Queue").selectOption("coach");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toMatch(/12 tickets/);
    const rows = await page.locator("table.tickets tbody tr td[data-label='Queue']").allTextContents();
    expect(rows.every((r) => r.startsWith("Coach"))).toBe(true);
    // The applied filter still shows, so the next Apply (a search added) keeps it.
    expect(await page.getByLabel("Queue").inputValue()).toBe("coach");
    await page.getByLabel("Search").fill("a");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.url()).toMatch(/q=a/);
    expect(page.url()).toMatch(/queue=coach/);

    // A slow answer for filters already left behind is dropped: the coach queue's is held back
    // while the student tech team's comes at once, and only the latter shows, then and after.
    const coachQueue = /\/api\/tickets\?.*queue=coach/;
    const held = holdUntilReleased();
    await page.route(coachQueue, held.handler);
    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByLabel("Queue").selectOption("coach");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByLabel("Queue").selectOption("student_tech_team");
    await page.getByRole("button", { name: "Apply" }).click();
    const queueCells = () => page.locator("table.tickets tbody tr td[data-label='Queue']").allTextContents();
    const onlyTechTeam = async () => {
      const cells = await queueCells();
      return cells.length > 0 && cells.every((q) => q.startsWith("Student tech team"));
    };
    await expect.poll(onlyTechTeam).toBe(true);
    const late = page.waitForResponse((response) => coachQueue.test(response.url()));
    await held.release();
    await late;
    await new Promise((resolve) => setTimeout(resolve, 500)); // time to show it, were it not dropped
    expect(await onlyTechTeam()).toBe(true);
    await page.close();
  });

  it("reads the diagnostics and works the ticket to resolution", async () => {
    const page = await signedIn("lead@lincoln.example.org");
    await page.goto(`${agent.url}/#/tickets/${target.number}`);
    await page.getByRole("heading", { name: "Diagnostics" }).waitFor();
    const device = page.getByRole("region", { name: "Device" });
    expect(await device.textContent()).toContain(target.serial);
    expect(await page.getByRole("region", { name: "System" }).textContent()).toMatch(/Memory4\.0 GB/);
    expect(await page.getByRole("region", { name: "Battery" }).textContent()).toMatch(/Charge18%/);

    // Going through the list by keyboard assigns nobody: the choice is made with the button.
    await page.getByLabel("Assigned to").focus();
    await page.keyboard.press("ArrowDown");
    await page.getByLabel("Assigned to").selectOption({ label: "Lee Lead" });
    expect(await page.getByTestId("ticket-summary").textContent()).not.toMatch(/assigned to/);
    await page.getByRole("button", { name: "Assign", exact: true }).click();
    await expect.poll(() => page.getByTestId("ticket-summary").textContent()).toMatch(/assigned to Lee Lead/);

    await page.getByLabel("Queue").selectOption("district_repair");
    await page.getByLabel("Tier").selectOption("3");
    await page.getByLabel("Reason").fill("Hinge replacement at the depot");
    await page.getByRole("button", { name: "Move ticket" }).click();
    await expect.poll(() => page.getByTestId("ticket-summary").textContent()).toMatch(/District repair · tier 3/);

    await page.getByLabel("Comment").fill("Loaner LN-12 handed out.");
    await page.getByRole("button", { name: "Add comment" }).click();
    await expect.poll(() => page.locator(".timeline").textContent()).toContain("Loaner LN-12 handed out.");

    // Someone else resolves it meanwhile (here in the background): this page's Resolve is refused,
    // and the page shows the ticket as it is now, with the reason.
    const elsewhere = await page.evaluate(
      (n) =>
        fetch(`/api/tickets/${n}/resolve`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ resolution: "Hinge replaced, device returned" }),
        }).then((r) => r.status),
      target.number,
    );
    expect(elsewhere).toBe(204);
    await page.getByLabel("How was it fixed?").fill("Hinge replaced, device returned");
    await page.getByRole("button", { name: "Resolve" }).click();
    await expect.poll(() => page.getByRole("alert").first().textContent()).toMatch(/already resolved/);
    await expect.poll(() => page.getByTestId("ticket-summary").textContent()).toMatch(/^Resolved/);
    const timeline = await page.locator(".timeline").textContent();
    for (const text of [
      "assigned it to Lee Lead",
      "moved it from School IT lead (tier 2) to District repair (tier 3)",
      "Hinge replacement at the depot",
      "resolved it",
    ]) {
      expect(timeline).toContain(text);
    }
    await page.close();
  });

  it("does not let the student tech team send a ticket to district repair", async () => {
    const page = await signedIn("tech@lincoln.example.org");
    expect(await page.getByRole("link", { name: "Users and roles" }).count()).toBe(0);
    const number = 1; // an open Lincoln ticket
    await page.goto(`${agent.url}/#/tickets/${number}`);
    await page.getByRole("heading", { name: "Diagnostics" }).waitFor();
    const queues = await page.getByLabel("Queue").locator("option").allTextContents();
    expect(queues).toContain("School IT lead");
    expect(queues).not.toContain("District repair");
    // Even a hand-made request is refused by the agent.
    const answer = await page.evaluate(async (n) => {
      const response = await fetch(`/api/tickets/${n}/escalate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ queue: "district_repair", tier: 3, reason: "Trying anyway" }),
      });
      return { status: response.status, body: await response.json() };
    }, number);
    expect(answer.status).toBe(403);
    expect(answer.body.error.message).toMatch(/district repair or a vendor/);
    await page.close();
  });

  it("lets a district admin add a person and change their role", async () => {
    const page = await signedIn("admin@district.example.org");
    await page.getByRole("link", { name: "Users and roles" }).click();
    await page.getByRole("heading", { name: "Users and roles" }).waitFor();
    const add = page.getByRole("form", { name: "Add a user" });
    await add.getByLabel("Email").fill("new.coach@lincoln.example.org");
    await add.getByLabel("Name").fill("Nia Coach");
    await add.getByLabel(/^Password/).fill(password);
    await add.getByLabel("Role").selectOption("coach");
    await add.getByLabel(/^School/).fill(lincoln);
    await add.getByRole("button", { name: "Add user" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toMatch(/Added new.coach@lincoln.example.org/);
    await expect.poll(() => add.getByLabel("Email").inputValue()).toBe("");
    // Added twice, it is refused: what was typed stays, to correct.
    await add.getByLabel("Email").fill("new.coach@lincoln.example.org");
    await add.getByLabel("Name").fill("Nia Coach");
    await add.getByRole("button", { name: "Add user" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/\S/);
    expect(await add.getByLabel("Email").inputValue()).toBe("new.coach@lincoln.example.org");
    expect(await add.getByLabel("Name").inputValue()).toBe("Nia Coach");

    const row = page.locator("tr", { hasText: "new.coach@lincoln.example.org" });
    await row.getByText("Change role").click();
    // The editor opens on the person's current role, not the first in the list.
    expect(await row.getByLabel("Role", { exact: true }).inputValue()).toBe("coach");
    await row.getByLabel("Role", { exact: true }).selectOption("student_tech_team");
    await row.getByRole("button", { name: "Save role" }).click();
    await expect
      .poll(() => page.locator("tr", { hasText: "new.coach@lincoln.example.org" }).textContent())
      .toMatch(/Student tech team \(Lincoln High\)/);

    const newcomer = await signedIn("new.coach@lincoln.example.org");
    expect(await newcomer.getByText("(Student tech team)").count()).toBe(1);
    await newcomer.close();
    await page.close();
  });

  it("syncs the demo district from the Jobs page and finds a student's device on the Devices page", async () => {
    const page = await signedIn("admin@district.example.org");
    await page.getByRole("link", { name: "Jobs" }).click();
    // The test agent runs with JOBS_ENABLED=false: the page says so, and names no next run.
    await page.getByText("This agent does not run the jobs on their schedules").waitFor();
    expect(await page.getByTestId("next-run-inventory-full-sync").count()).toBe(0);
    const job = page.getByRole("region", { name: "Inventory: full sync" });
    await job.getByRole("button", { name: "Run now" }).click();
    await expect
      .poll(() => page.getByTestId("last-run-inventory-full-sync").textContent(), { timeout: 60_000, interval: 500 })
      .toMatch(/succeeded.*OUs in all: 14, devices seen: 2000.*telemetry devices: 2000/);

    const lead = await signedIn("lead@lincoln.example.org");
    await lead.getByRole("link", { name: "Jobs" }).click();
    await lead.getByRole("heading", { name: "Jobs" }).waitFor();
    expect(await lead.getByRole("button", { name: "Run now" }).count()).toBe(0);

    // A real device of the sandbox district behind the agent, to look for.
    const sandboxDevice = [...(agent.google.sandbox?.context.district.devices.values() ?? [])].find(
      (d) => d.orgUnitPath?.startsWith(lincoln) && d.annotatedUser,
    );
    await lead.getByRole("link", { name: "Devices" }).click();
    await lead.getByLabel("Search").fill(sandboxDevice?.annotatedUser ?? "");
    await lead.getByRole("button", { name: "Find" }).click();
    await lead.getByRole("link", { name: sandboxDevice?.serialNumber ?? "" }).click();
    await lead.getByRole("heading", { name: "Assignment history" }).waitFor();
    const facts = await lead.getByRole("region", { name: "From Google" }).textContent();
    expect(facts).toContain(sandboxDevice?.model);
    expect(facts).toContain(sandboxDevice?.annotatedUser);
    expect(facts).toContain("Battery and disk read");
    // Google's AUE month (its first day at UTC midnight), not the month before in Chicago.
    const aue = new Date(sandboxDevice?.autoUpdateThrough ?? "");
    expect(facts).toContain(aue.toLocaleDateString("en-US", { year: "numeric", month: "long", timeZone: "UTC" }));
    expect(await lead.locator("ol.timeline").textContent()).toContain(sandboxDevice?.annotatedUser);
    await lead.close();
    await page.close();
  });
});
