/** Signing in to the staff console in a real browser, for the end-to-end tests. */
import type { Browser, Page } from "playwright-core";

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
