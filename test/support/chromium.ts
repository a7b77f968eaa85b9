/**
 * Debian's Chromium with the built extension loaded, for end-to-end tests. Missing Chromium fails
 * loudly; these tests are never skipped.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Worker } from "playwright-core";
import { build } from "wxt";
import { techdeskExtensionId } from "../../agent/config";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const policyDir = "/etc/chromium/policies/managed";
const root = path.resolve(import.meta.dirname, "../..");

/** No network here but loopback: keep Chromium from reaching for Google's services. */
export const chromiumArgs = [
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function requireChromium(): void {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium was not found at ${chromiumPath}. Install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH. The browser tests are never skipped.`,
    );
  }
}

const silent = {
  debug() {},
  log() {},
  info() {},
  success() {},
  warn() {},
  error: console.error,
  fatal: console.error,
  level: 0,
};

/** Builds the extension as a district would ship it: no agent baked in, configuration by policy. */
export async function buildExtension(outDir = ".output/e2e"): Promise<string> {
  delete process.env.WXT_AGENT_URL;
  delete process.env.WXT_ENROLLMENT_TOKEN;
  await build({ root, outDir, logger: silent });
  return path.join(root, outDir, "chrome-mv3");
}

/**
 * Writes the extension's managed configuration where Linux Chromium reads policy, the same values
 * an admin pastes into the Google Admin console. Needs root (CI runs as root).
 */
export function writeManagedPolicy(values: Record<string, string>): () => void {
  const file = path.join(policyDir, `techdesk-e2e-${process.pid}.json`);
  try {
    mkdirSync(policyDir, { recursive: true });
    writeFileSync(file, JSON.stringify({ "3rdparty": { extensions: { [techdeskExtensionId]: values } } }));
  } catch (error) {
    throw new Error(
      `Cannot write Chromium policy to ${policyDir} (run the browser tests as root): ${(error as Error).message}`,
    );
  }
  return () => rmSync(file, { force: true });
}

export interface ExtensionBrowser {
  context: BrowserContext;
  worker: Worker;
  extensionUrl: (page: string) => string;
  close(): Promise<void>;
}

export async function launchWithExtension(extensionDir: string): Promise<ExtensionBrowser> {
  requireChromium();
  const userDataDir = mkdtempSync(path.join(tmpdir(), "techdesk-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1366, height: 768 },
    ignoreDefaultArgs: ["--disable-extensions"],
    args: [...chromiumArgs, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`],
  });
  const worker =
    context.serviceWorkers().find((w) => w.url().includes(techdeskExtensionId)) ??
    (await context.waitForEvent("serviceworker", {
      predicate: (w) => w.url().includes(techdeskExtensionId),
      timeout: 30_000,
    }));
  return {
    context,
    worker,
    extensionUrl: (page) => `chrome-extension://${techdeskExtensionId}/${page}`,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
