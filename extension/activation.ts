/**
 * Whether TechDesk should do anything here. A district installs it at the root OU, so teachers on
 * Macs get it too: off ChromeOS it stays inert unless loaded for development or configured by policy.
 */
import { browser } from "wxt/browser";
import { resolveSettings } from "./config";

export async function isActive(): Promise<boolean> {
  const [platform, self, settings] = await Promise.all([
    browser.runtime.getPlatformInfo().catch(() => undefined),
    browser.management?.getSelf().catch(() => undefined),
    resolveSettings(),
  ]);
  return platform?.os === "cros" || self?.installType === "development" || settings.source === "policy";
}
