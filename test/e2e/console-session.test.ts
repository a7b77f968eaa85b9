/**
 * The staff console's session in Debian's Chromium against the real agent: a session that ends
 * mid-work (sign in again over the page, what was typed kept; someone else gets a fresh console),
 * sign-out that fails, and Google sign-in coming back to the page it started from.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve } from "@hono/node-server";
import { type Browser, chromium, type Page, type Request, type Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../agent/app";
import { createGoogleSignIn } from "../../agent/auth/google-signin";
import { buildConsole } from "../../agent/console/build";
import { createLogger } from "../../agent/log";
import { type RunningAgent, startAgent } from "../../agent/server";
import { createStaffUser, signOutEverywhere } from "../../agent/services/staff-accounts";
import { openStore, type Store } from "../../agent/store/db";
import { lincoln, sampleReport, testConfig } from "../support/agent";
import { chromiumArgs, chromiumPath, requireChromium } from "../support/chromium";
import { consolePassword, fileTicketFromChromebook } from "../support/console";
import { startFakeGoogle } from "../support/fake-google";
import { freePort } from "../support/ports";

let agent: RunningAgent;
let browser: Browser;
let dataDir: string;
let ticket: number;
const people = { lead: "", admin: "", tech: "" };

beforeAll(async () => {
  requireChromium();
  dataDir = mkdtempSync(path.join(tmpdir(), "techdesk-console-session-e2e-"));
  agent = await startAgent(testConfig({ PORT: "0", DATA_DIR: dataDir }));
  await buildConsole();
  const db = agent.store.db;
  const password = consolePassword;
  people.lead = await createStaffUser(db, {
    email: "lead@lincoln.example.org",
    displayName: "Lee Lead",
    password,
    grants: [{ role: "school_it_lead", school: lincoln }],
  });
  people.admin = await createStaffUser(db, {
    email: "admin@district.example.org",
    displayName: "Dana Admin",
    password,
    grants: [{ role: "district_admin", school: "*" }],
  });
  people.tech = await createStaffUser(db, {
    email: "tech@lincoln.example.org",
    displayName: "Tam Tech",
    password,
    grants: [{ role: "student_tech_team", school: lincoln }],
  });
  ticket = await fileTicketFromChromebook(agent.url, "LHS5550001", sampleReport({ note: "The screen flickers." }));
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
});

afterAll(async () => {
  await browser?.close();
  await agent?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Counts the page's calls to the agent still out. A session ended while one is out would be met by
 * that call, opening sign-in before the step the test means to take. Settled means none has been
 * out for a while: a page just shown sends its first load only after it has painted.
 */
function trackCalls(page: Page) {
  let out = 0;
  let changedAt = Date.now();
  const isCall = (request: Request) => new URL(request.url()).pathname.startsWith("/api/");
  page.on("request", (request) => {
    if (!isCall(request)) return;
    out++;
    changedAt = Date.now();
  });
  const answered = (request: Request) => {
    if (!isCall(request)) return;
    out--;
    changedAt = Date.now();
  };
  page.on("requestfinished", answered);
  page.on("requestfailed", answered);
  return { settled: () => expect.poll(() => out === 0 && Date.now() - changedAt >= 300).toBe(true) };
}

/** Signs `page` in as `email`: it ends on the ticket queue. */
async function signIn(page: Page, email: string) {
  await page.goto(`${agent.url}/`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(consolePassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Tickets" }).waitFor();
}

/** A page signed in as `email`, on the ticket queue, with its calls to the agent counted. */
async function signedIn(email: string) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const calls = trackCalls(page);
  await signIn(page, email);
  return { page, ...calls };
}

/** The session ends behind the person's back, as it does when it times out, once the page is quiet. */
async function endSessionsOf(userId: string, calls: { settled: () => Promise<unknown> }) {
  await calls.settled();
  await signOutEverywhere(agent.store.db, userId);
}

const focusInDialog = (page: Page) =>
  page.evaluate(() => {
    const focused = document.activeElement;
    return focused?.closest("dialog[open]") ? (focused.getAttribute("type") ?? focused.tagName) : "outside";
  });

describe("the console's session", () => {
  it("keeps the page and what was typed when the session ends, and signs in again over it", async () => {
    const { page, ...calls } = await signedIn("lead@lincoln.example.org");
    await page.goto(`${agent.url}/#/tickets/${ticket}`);
    await page.getByRole("heading", { name: "Diagnostics" }).waitFor();
    const note = "Loaner LN-40 handed out; the charger follows tomorrow.";
    await page.getByLabel("Comment").fill(note);

    await endSessionsOf(people.lead, calls);
    await page.getByRole("button", { name: "Add comment" }).click();
    const dialog = page.getByRole("dialog", { name: "Sign in again" });
    await dialog.waitFor({ timeout: 10_000 });
    // Focus is in the dialog, on the password: the email is the person's own, already filled in.
    await expect.poll(() => focusInDialog(page)).toBe("password");
    expect(await dialog.getByLabel("Email").inputValue()).toBe("lead@lincoln.example.org");
    // Behind it, the page and the typed comment are still there.
    expect(await page.getByLabel("Comment").inputValue()).toBe(note);
    expect(await page.getByRole("heading", { name: "Diagnostics" }).count()).toBe(1);

    await dialog.getByLabel("Password").fill("not the password");
    await dialog.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => dialog.getByRole("alert").textContent()).toMatch(/do not match an account/);
    await dialog.getByLabel("Password").fill(consolePassword);
    await dialog.getByLabel("Password").press("Enter");
    await dialog.waitFor({ state: "detached" });

    // Back where they were, with the comment still typed and focus on the button they pressed.
    expect(await page.getByLabel("Comment").inputValue()).toBe(note);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Add comment");
    await page.getByRole("button", { name: "Add comment" }).click();
    await expect.poll(() => page.locator(".timeline").textContent()).toContain(note);
    await expect.poll(() => page.getByLabel("Comment").inputValue()).toBe("");
    await page.close();
  });

  it("waits with a read the agent refused until the person signs in again, then carries on", async () => {
    const { page, ...calls } = await signedIn("lead@lincoln.example.org");
    await endSessionsOf(people.lead, calls);
    await page.getByRole("link", { name: "Devices" }).click();
    const dialog = page.getByRole("dialog", { name: "Sign in again" });
    await dialog.waitFor({ timeout: 10_000 });
    // "Not now" leaves the page as it is; the next refused call asks again.
    await dialog.getByRole("button", { name: "Not now" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("link", { name: "Tickets" }).click();
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.getByLabel("Password").fill(consolePassword);
    await dialog.getByRole("button", { name: "Sign in" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => page.getByRole("status").first().textContent()).toMatch(/1 ticket/);
    expect(await page.getByRole("alert").count()).toBe(0);
    await page.close();
  });

  it("keeps the dialog closed after Not now while the page polls, and holds none of the polls back", async () => {
    const { page, ...calls } = await signedIn("admin@district.example.org");
    const shown = page.waitForResponse((response) => new URL(response.url()).pathname === "/api/jobs");
    await page.getByRole("link", { name: "Jobs" }).click();
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    expect((await shown).status()).toBe(200);
    await endSessionsOf(people.admin, calls);
    const bell = page.getByRole("button", { name: /^Notifications,/ });
    await bell.click();
    const dialog = page.getByRole("dialog", { name: "Sign in again" });
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.getByRole("button", { name: "Not now" }).click();
    await dialog.waitFor({ state: "detached" });

    // The Jobs page polls every 3 s: the polls are refused, and the dialog stays closed.
    let refusedPolls = 0;
    page.on("response", (response) => {
      if (new URL(response.url()).pathname === "/api/jobs" && response.status() === 401) refusedPolls++;
    });
    await page.waitForTimeout(7_000);
    expect(refusedPolls).toBeGreaterThanOrEqual(2);
    expect(await page.getByRole("dialog").count()).toBe(0);

    // Signing in again sends the reads the person asked for (the bell's), and no pile of polls.
    await bell.click();
    await bell.click();
    await dialog.waitFor({ timeout: 10_000 });
    const sent: string[] = [];
    page.on("request", (request) => sent.push(new URL(request.url()).pathname));
    await dialog.getByLabel("Password").fill(consolePassword);
    await dialog.getByRole("button", { name: "Sign in" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.waitForTimeout(1_000);
    expect(sent.filter((p) => p === "/api/jobs").length).toBeLessThanOrEqual(1);
    expect(sent.filter((p) => p === "/api/notifications").length).toBe(2);
    expect(await page.getByRole("dialog").count()).toBe(0);
    await page.close();
  });

  it("carries on with held reads once the person has signed in again in another tab", async () => {
    // Two tabs of one browser: they share the session cookie.
    const tabs = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await tabs.newPage();
    const calls = trackCalls(page);
    await signIn(page, "lead@lincoln.example.org");
    await endSessionsOf(people.lead, calls);
    await page.getByRole("link", { name: "Devices" }).click();
    const dialog = page.getByRole("dialog", { name: "Sign in again" });
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.getByRole("button", { name: "Not now" }).click();
    await dialog.waitFor({ state: "detached" });

    // The other tab signs in; this one never sees the dialog's sign-in.
    const other = await tabs.newPage();
    await signIn(other, "lead@lincoln.example.org");
    await other.close();

    const resumed = page.waitForResponse(
      (response) => new URL(response.url()).pathname === "/api/devices" && response.status() === 200,
      { timeout: 10_000 },
    );
    await page.getByRole("button", { name: /^Notifications,/ }).click();
    await resumed;
    await page.waitForTimeout(500);
    expect(await page.getByRole("dialog").count()).toBe(0);
    expect(await page.getByRole("alert").count()).toBe(0);
    await tabs.close();
  });

  it("sends a read again, once, when its 401 comes back after the person signed in again", async () => {
    const { page, ...calls } = await signedIn("lead@lincoln.example.org");
    await endSessionsOf(people.lead, calls);
    // The bell's read goes out before the sign-in; its refusal is held back until after it.
    let late: Route | undefined;
    await page.route(
      "**/api/notifications",
      (route) => {
        late = route;
      },
      { times: 1 },
    );
    await page.getByRole("button", { name: /^Notifications,/ }).click();
    await expect.poll(() => late !== undefined).toBe(true);
    await page.getByRole("link", { name: "Devices" }).click();
    const dialog = page.getByRole("dialog", { name: "Sign in again" });
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.getByLabel("Password").fill(consolePassword);
    await dialog.getByRole("button", { name: "Sign in" }).click();
    await dialog.waitFor({ state: "detached" });

    const sentAgain = page.waitForResponse(
      (response) => new URL(response.url()).pathname === "/api/notifications" && response.status() === 200,
      { timeout: 10_000 },
    );
    await late?.fulfill({
      status: 401,
      json: { error: { code: "unauthenticated", message: "Sign in first.", requestId: "e2e" } },
    });
    await sentAgain;
    await page.waitForTimeout(500);
    expect(await page.getByRole("dialog").count()).toBe(0);
    await page.close();
  });

  it("gives focus back to the pressed button once its reload lands after signing in again", async () => {
    const { page, ...calls } = await signedIn("lead@lincoln.example.org");
    await page.goto(`${agent.url}/#/tickets/${ticket}`);
    await page.getByRole("heading", { name: "Diagnostics" }).waitFor();
    await page.getByLabel("Comment").fill("Charger swapped at the desk.");
    await endSessionsOf(people.lead, calls);
    // The ticket's reload is slow: Add comment stays disabled for a while after the dialog closes.
    await page.route(`**/api/tickets/${ticket}`, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 800));
      await route.fallback();
    });
    await page.getByRole("button", { name: "Add comment" }).click();
    const dialog = page.getByRole("dialog", { name: "Sign in again" });
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.getByLabel("Password").fill(consolePassword);
    await dialog.getByLabel("Password").press("Enter");
    await dialog.waitFor({ state: "detached" });
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent), { timeout: 3_000 })
      .toBe("Add comment");
    expect(await page.getByRole("button", { name: "Add comment" }).isEnabled()).toBe(true);
    await page.close();
  });

  it("drops a device's late answer once the page shows another device", async () => {
    expect(await agent.jobs.run("inventory-full-sync", "manual")).toMatchObject({ ran: true, status: "succeeded" });
    const [first, second] = await agent.store.db
      .selectFrom("devices")
      .select(["deviceId", "serialNumber"])
      .where("serialNumber", "is not", null)
      .orderBy("deviceId")
      .limit(2)
      .execute();
    if (!first?.serialNumber || !second?.serialNumber) throw new Error("The sandbox has no two devices.");
    const { page } = await signedIn("admin@district.example.org");
    // The first device's answer is held back until the page has moved on to the second.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(`**/api/devices/${encodeURIComponent(first.deviceId)}`, async (route) => {
      await released;
      await route.fallback();
    });
    await page.goto(`${agent.url}/#/devices/${encodeURIComponent(first.deviceId)}`);
    await page.goto(`${agent.url}/#/devices/${encodeURIComponent(second.deviceId)}`);
    const heading = page.locator("#device-heading");
    await expect.poll(() => heading.textContent()).toMatch(new RegExp(`^${second.serialNumber}`));
    const late = page.waitForResponse((response) => response.url().endsWith(encodeURIComponent(first.deviceId)));
    release();
    await late;
    await page.waitForTimeout(300);
    expect(await heading.textContent()).toMatch(new RegExp(`^${second.serialNumber}`));
    await page.close();
  });

  it("reloads the console when someone else signs in, so none of the first person's page stays", async () => {
    const { page, ...calls } = await signedIn("admin@district.example.org");
    await page.getByRole("link", { name: "Users and roles" }).click();
    const add = page.getByRole("form", { name: "Add a user" });
    await add.getByLabel("Email").fill("typed.by.admin@lincoln.example.org");
    await add.getByLabel("Name").fill("Typed By Admin");
    await add.getByLabel(/^Password/).fill(consolePassword);
    await add.getByLabel("Role").selectOption("coach");
    await add.getByLabel(/^School/).fill(lincoln);
    await page.evaluate(() => {
      (window as unknown as { firstPerson: boolean }).firstPerson = true;
    });

    await endSessionsOf(people.admin, calls);
    await add.getByRole("button", { name: "Add user" }).click();
    const dialog = page.getByRole("dialog", { name: "Sign in again" });
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.getByLabel("Email").fill("lead@lincoln.example.org");
    await dialog.getByLabel("Password").fill(consolePassword);
    const reloaded = page.waitForEvent("load");
    await dialog.getByRole("button", { name: "Sign in" }).click();
    await reloaded;

    await page.getByRole("banner").getByText("Lee Lead").waitFor();
    expect(await page.evaluate(() => "firstPerson" in window)).toBe(false);
    expect(await page.getByText("Dana Admin").count()).toBe(0);
    expect(await page.getByText("admin@district.example.org").count()).toBe(0);
    expect(await page.getByRole("link", { name: "Users and roles" }).count()).toBe(0);
    expect(
      await page.evaluate(() =>
        [...document.querySelectorAll("input")].some((i) => i.value === "typed.by.admin@lincoln.example.org"),
      ),
    ).toBe(false);
    await page.close();
  });

  it("says so when sign-out fails, and keeps the person signed in", async () => {
    const { page } = await signedIn("tech@lincoln.example.org");
    await page.route("**/api/session", (route) =>
      route.request().method() === "DELETE" ? route.abort("connectionfailed") : route.fallback(),
    );
    await page.route("**/api/session/sign-out-everywhere", (route) =>
      route.fulfill({
        status: 500,
        json: { error: { code: "internal", message: "Something went wrong on the agent.", requestId: "req-1" } },
      }),
    );
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toMatch(/^Sign-out did not work, so you are still signed in/);
    expect(await page.getByText("Tam Tech").count()).toBe(1);
    expect(await page.getByRole("heading", { name: "Tickets" }).count()).toBe(1);

    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toBe("Sign-out did not work, so you are still signed in: Something went wrong on the agent.");
    expect(await page.getByText("Tam Tech").count()).toBe(1);

    // And when it works, the person is signed out.
    await page.unrouteAll();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(await page.evaluate(() => fetch("/api/session").then((r) => r.status))).toBe(401);
    await page.close();
  });

  it("never sends a read held for a person who then signed out under the next person", async () => {
    const { page, ...calls } = await signedIn("lead@lincoln.example.org");
    await endSessionsOf(people.lead, calls);
    await page.getByRole("link", { name: "Devices" }).click();
    const dialog = page.getByRole("dialog", { name: "Sign in again" });
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.getByRole("button", { name: "Not now" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor({ timeout: 10_000 });

    const sent: string[] = [];
    page.on("request", (request) => sent.push(new URL(request.url()).pathname));
    await page.getByLabel("Email").fill("tech@lincoln.example.org");
    await page.getByLabel("Password").fill(consolePassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("banner").getByText("Tam Tech").waitFor();
    await page.getByRole("button", { name: /^Notifications,/ }).click();
    await page.waitForTimeout(1_000);
    // The Devices page, still in the address, loads once for Tam; Lee's held load is not sent again.
    expect(sent.filter((p) => p === "/api/devices")).toHaveLength(1);
    await page.close();
  });

  it("signs out a person whose session has already ended", async () => {
    const { page, ...calls } = await signedIn("tech@lincoln.example.org");
    await endSessionsOf(people.tech, calls);
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor({ timeout: 10_000 });
    expect(await page.getByRole("dialog").count()).toBe(0);
    await page.close();
  });
});

describe("Google sign-in from the console", () => {
  const clientId = "test-client-id.apps.googleusercontent.com";
  let google: Awaited<ReturnType<typeof startFakeGoogle>>;
  let store: Store;
  let server: ReturnType<typeof serve>;
  let url: string;

  beforeAll(async () => {
    google = await startFakeGoogle(clientId);
    store = await openStore({ sqliteFile: ":memory:" });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = testConfig({
      PUBLIC_URL: url,
      GOOGLE_OIDC_CLIENT_ID: clientId,
      GOOGLE_OIDC_CLIENT_SECRET: "test-client-secret",
      GOOGLE_SIGNIN_DOMAINS: "district.example.org",
    });
    const googleSignIn = createGoogleSignIn(
      config.googleSignIn as NonNullable<typeof config.googleSignIn>,
      google.endpoints,
    );
    const app = createApp({ db: store.db, config, log: createLogger("silent"), now: () => new Date(), googleSignIn });
    await createStaffUser(store.db, {
      email: "admin@district.example.org",
      displayName: "Dana Admin",
      password: consolePassword,
      grants: [{ role: "district_admin", school: "*" }],
    });
    server = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, () => resolve(s));
    });
    expect((server.address() as AddressInfo).port).toBe(port);
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await store?.close();
    await google?.close();
  });

  it("comes back to the page a link opened, and to the page the session ended on", async () => {
    google.signInAs({ email: "admin@district.example.org", hd: "district.example.org" });
    const page = await browser.newPage();
    const calls = trackCalls(page);
    await page.goto(`${url}/#/users`);
    await page.getByRole("link", { name: "Sign in with Google" }).click();
    await page.getByRole("heading", { name: "Users and roles" }).waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).hash).toBe("#/users");

    const db = store.db;
    const admin = await db.selectFrom("staffUsers").select("id").executeTakeFirstOrThrow();
    await calls.settled();
    await signOutEverywhere(db, admin.id);
    await page.getByRole("link", { name: "Audit log" }).click();
    const dialog = page.getByRole("dialog", { name: "Sign in again" });
    await dialog.waitFor({ timeout: 10_000 });
    // Google sign-in leaves the page: the dialog says what that costs.
    expect(await dialog.textContent()).toMatch(/leaves this page, so anything not yet saved here will be lost/);
    await dialog.getByRole("link", { name: "Sign in with Google" }).click();
    await page.getByRole("heading", { name: "Audit log" }).waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).hash).toBe("#/audit");
    expect(await page.getByRole("dialog").count()).toBe(0);
    await page.close();
  });
});
