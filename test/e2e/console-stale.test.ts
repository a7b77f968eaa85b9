/**
 * Two people on one ticket in Debian's Chromium, each signed in in a browser context of their own,
 * against the real agent: the one acting on a view the other has since changed is refused with what
 * the ticket is now, their page shows it, and what they typed stays for them to submit again. One's
 * own change never counts against them: the buttons wait until the page shows it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsole } from "../../agent/console/build";
import { type RunningAgent, startAgent } from "../../agent/server";
import { createStaffUser } from "../../agent/services/staff-accounts";
import type { StaffRole } from "../../shared";
import { lincoln, sampleDiagnostics, sampleReport, testConfig } from "../support/agent";
import { chromiumArgs, chromiumPath, requireChromium } from "../support/chromium";
import { consolePassword, fileTicketFromChromebook, signedInPage } from "../support/console";
import { gate } from "../support/gate";

let agent: RunningAgent;
let browser: Browser;
let dataDir: string;
let filed = 0;

const people: [email: string, name: string, role: StaffRole][] = [
  ["ana@lincoln.example.org", "Ana Ruiz", "student_tech_team"],
  ["ben@lincoln.example.org", "Ben Okafor", "student_tech_team"],
  ["lee@lincoln.example.org", "Lee Lead", "school_it_lead"],
  ["kai@lincoln.example.org", "Kai Park", "school_it_lead"],
];

beforeAll(async () => {
  requireChromium();
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-stale-e2e-"));
  agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir, JOBS_ENABLED: "false" }));
  await buildConsole();
  for (const [email, displayName, role] of people)
    await createStaffUser(agent.store.db, {
      email,
      displayName,
      password: consolePassword,
      grants: [{ role, school: lincoln }],
    });
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
});
afterAll(async () => {
  await browser?.close();
  await agent?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A ticket filed from a Lincoln device of its own, for the student tech team; answers its number. */
async function fileTicket(): Promise<number> {
  filed += 1;
  const serialNumber = `LHS${String(filed).padStart(7, "0")}`;
  return fileTicketFromChromebook(
    agent.url,
    serialNumber,
    sampleReport({
      category: "screen",
      note: "The screen flickers.",
      diagnostics: sampleDiagnostics({ deviceAttributes: { serialNumber } }),
    }),
  );
}

/** `email` signed in in a browser context of their own, with ticket `number` open. */
async function opened(email: string, number: number): Promise<Page> {
  const page = await signedInPage(browser, agent.url, email);
  await page.goto(`${agent.url}/#/tickets/${number}`);
  await page.getByRole("heading", { name: "Diagnostics" }).waitFor();
  return page;
}

const summary = (page: Page) => page.getByTestId("ticket-summary").textContent();
const refusal = (page: Page) => page.getByRole("alert").first().textContent();
const chosenAssignee = (page: Page) =>
  page.getByLabel("Assigned to").evaluate((select: HTMLSelectElement) => select.selectedOptions[0]?.textContent);

async function eventsOf(number: number) {
  return agent.store.db
    .selectFrom("ticketEvents")
    .select("kind")
    .where("ticketNumber", "=", number)
    .orderBy("id")
    .execute()
    .then((rows) => rows.map((r) => r.kind));
}

describe("acting on a ticket someone else has changed since it was opened", () => {
  it("refuses the second person's assign, shows the first person's, and keeps what was typed", async () => {
    const number = await fileTicket();
    const ana = await opened("ana@lincoln.example.org", number);
    const ben = await opened("ben@lincoln.example.org", number);
    // Ben is halfway through sending it to the IT lead: a queue chosen and a reason typed, not sent.
    await ben.getByLabel("Queue").selectOption("school_it");
    await ben.getByLabel("Reason").fill("Screen needs the IT lead");

    await ana.getByLabel("Assigned to").selectOption({ label: "Ana Ruiz" });
    await ana.getByRole("button", { name: "Assign", exact: true }).click();
    await expect.poll(() => summary(ana)).toMatch(/assigned to Ana Ruiz/);

    // Ben's page still shows the ticket unassigned: he takes it.
    expect(await summary(ben)).toMatch(/unassigned/);
    await ben.getByLabel("Assigned to").selectOption({ label: "Ben Okafor" });
    await ben.getByRole("button", { name: "Assign", exact: true }).click();
    await expect
      .poll(() => refusal(ben))
      .toBe(
        `Ticket #${number} changed since you opened it: it is now in progress with the student tech team at tier 1, assigned to Ana Ruiz. Reload to see the change, then decide.`,
      );
    await expect.poll(() => summary(ben)).toMatch(/^In progress .*assigned to Ana Ruiz/);
    expect(await chosenAssignee(ben)).toBe("Ana Ruiz");
    expect(await ben.getByLabel("Reason").inputValue()).toBe("Screen needs the IT lead");
    expect(await ben.getByLabel("Queue").inputValue()).toBe("school_it");
    expect(await eventsOf(number)).toEqual(["created", "assigned"]);
    const ticket = await agent.store.db
      .selectFrom("tickets")
      .innerJoin("staffUsers", "staffUsers.id", "tickets.assigneeId")
      .select("staffUsers.displayName")
      .where("tickets.number", "=", number)
      .executeTakeFirstOrThrow();
    expect(ticket.displayName).toBe("Ana Ruiz");

    // Having seen the change, Ben sends what he typed: it goes through, on the ticket as it is now.
    await ben.getByRole("button", { name: "Move ticket" }).click();
    await expect.poll(() => summary(ben)).toMatch(/School IT lead · tier 2 .*assigned to Ana Ruiz/);
    expect(await ben.getByLabel("Reason").inputValue()).toBe("");
    expect(await eventsOf(number)).toEqual(["created", "assigned", "escalated"]);
    await ana.close();
    await ben.close();
  });

  it("refuses a resolve on a ticket a colleague sent to district repair meanwhile, keeping the resolution", async () => {
    const number = await fileTicket();
    const lee = await opened("lee@lincoln.example.org", number);
    const kai = await opened("kai@lincoln.example.org", number);
    await lee.getByLabel("How was it fixed?").fill("Reseated the screen cable");

    await kai.getByLabel("Queue").selectOption("district_repair");
    await kai.getByLabel("Reason").fill("Cracked panel: depot repair");
    await kai.getByRole("button", { name: "Move ticket" }).click();
    await expect.poll(() => summary(kai)).toMatch(/District repair · tier 3/);

    await lee.getByRole("button", { name: "Resolve" }).click();
    await expect
      .poll(() => refusal(lee))
      .toBe(
        `Ticket #${number} changed since you opened it: it is now open with district repair at tier 3, unassigned. Reload to see the change, then decide.`,
      );
    await expect.poll(() => summary(lee)).toMatch(/^Open District repair · tier 3/);
    await expect.poll(() => lee.locator(".timeline").textContent()).toContain("Cracked panel: depot repair");
    expect(await lee.getByLabel("How was it fixed?").inputValue()).toBe("Reseated the screen cable");
    expect(await eventsOf(number)).toEqual(["created", "escalated"]);

    // Lee still thinks it is fixed, now knowing where it went: resolving again works.
    await lee.getByRole("button", { name: "Resolve" }).click();
    await expect.poll(() => summary(lee)).toMatch(/^Resolved/);
    expect(await eventsOf(number)).toEqual(["created", "escalated", "resolved"]);
    await lee.close();
    await kai.close();
  });

  it("keeps the buttons waiting until the page shows the change just made, so the next action rests on it", async () => {
    const number = await fileTicket();
    const ana = await opened("ana@lincoln.example.org", number);
    // The reload after Ana's assign is held back: her page still shows the ticket unassigned.
    const reload = gate();
    await ana.route(`${agent.url}/api/tickets/${number}`, async (route) => {
      reload.arrive();
      await reload.opened;
      await route.continue();
    });
    await ana.getByLabel("Assigned to").selectOption({ label: "Ana Ruiz" });
    await ana.getByRole("button", { name: "Assign", exact: true }).click();
    await reload.arrived;
    await ana.getByLabel("Queue").selectOption("school_it");
    await ana.getByLabel("Reason").fill("Screen needs the IT lead");
    expect(await summary(ana)).toMatch(/unassigned/);
    expect(await ana.getByRole("button", { name: "Move ticket" }).isDisabled()).toBe(true);

    reload.open();
    await expect.poll(() => summary(ana)).toMatch(/assigned to Ana Ruiz/);
    await expect.poll(() => ana.getByRole("button", { name: "Move ticket" }).isEnabled()).toBe(true);
    await ana.getByRole("button", { name: "Move ticket" }).click();
    await expect.poll(() => summary(ana)).toMatch(/School IT lead · tier 2 .*assigned to Ana Ruiz/);
    expect(await ana.getByRole("alert").count()).toBe(0);
    expect(await eventsOf(number)).toEqual(["created", "assigned", "escalated"]);
    await ana.close();
  });
});
