/** Signing in to the staff console in a real browser, for the end-to-end tests. */
import type { Browser, Page, Route } from "playwright-core";
import { reportReceipt } from "../../shared";
import { bearer, lincolnToken } from "./agent";

export const consolePassword = "a long enough password";

/** A new page signed in as `email`, on the ticket queue. */
export async function signedInPage(
  browser: Browser,
  agentUrl: string,
  email: string,
  password = consolePassword,
): Promise<Page> {
  // A US district's clock: dates Google gives at UTC midnight must not slip to the day before.
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 }, timezoneId: "America/Chicago" });
  await page.goto(`${agentUrl}/`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Tickets" }).waitFor();
  return page;
}

/**
 * Files a ticket as a Lincoln Chromebook would: it enrolls with the school's token under
 * `serialNumber`, then sends `report`. Answers the ticket's number.
 */
export async function fileTicketFromChromebook(
  agentUrl: string,
  serialNumber: string,
  report: unknown,
): Promise<number> {
  const enrolled = await fetch(`${agentUrl}/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ enrollmentToken: lincolnToken, device: { serialNumber } }),
  });
  const { credential } = (await enrolled.json()) as { credential: string };
  const filed = await fetch(`${agentUrl}/v1/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(credential) },
    body: JSON.stringify(report),
  });
  return reportReceipt.parse(await filed.json()).ticket.number;
}

/** Answers an agent error with this message, as the agent words one. */
export const refuse = (message: string) => (route: Route) =>
  route.fulfill({ status: 503, json: { error: { code: "internal", message, requestId: "e2e" } } });

/**
 * Holds the requests it is the route handler of (those of `method`, when given; others go at once)
 * until the test lets them go, so the page can be looked at while they are out however slow the
 * machine is. `release()` waits for a request to be held, sends on every one held so far, and holds
 * the next ones again.
 */
export function holdUntilReleased(method?: string) {
  let held: Route[] = [];
  let arrived = () => {};
  let someHeld = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  return {
    handler: (route: Route) => {
      if (method && route.request().method() !== method) return route.continue();
      held.push(route);
      arrived();
    },
    async release() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("No request reached the held route within 10 s.")), 10_000);
      });
      await Promise.race([someHeld, late]).finally(() => clearTimeout(timer));
      const going = held;
      held = [];
      someHeld = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      await Promise.all(going.map((route) => route.continue()));
    },
  };
}

/** Counts the requests the page sends that `matches`. */
export function countRequests(page: Page, matches: (method: string, url: string) => boolean): () => number {
  let sent = 0;
  page.on("request", (request) => {
    if (matches(request.method(), request.url())) sent += 1;
  });
  return () => sent;
}
