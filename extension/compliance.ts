/**
 * The device side of the filter audit: what this browser shows of its own compliance, sent to the
 * agent at start-up and every few hours. Extensions are listed only when the district has granted
 * the optional `management` permission (by policy, or from the options page on a development
 * install); the proxy mode comes from `chrome.proxy`. Every part degrades to a warning, never a
 * failure, and a report that cannot be sent is tried again at the next alarm, or once the agent's
 * Retry-After has passed. A report is a snapshot, made when it goes: nothing older waits to be sent.
 */
import { browser } from "wxt/browser";
import { storage } from "wxt/utils/storage";
import type { ComplianceReport, ProxyMode, SeenExtension } from "../shared";
import { proxyModes } from "../shared";
import { type AgentClient, AgentError, createAgentClient, maxRetryAfterMs } from "./agent-client";
import { chromeApi } from "./chrome-api";
import { type AgentSettings, resolveSettings } from "./config";
import { callApi } from "./diagnostics/collector";
import { ensureEnrollment, forgetEnrollment } from "./enrollment";

export const managementPermission: { permissions: ["management"] } = { permissions: ["management"] };

interface ProxySetting {
  value?: { mode?: string };
  levelOfControl?: string;
}

type ProxySettings = { get(details: object, callback: (details: ProxySetting) => void): void };

/** `chrome.proxy.settings.get` with a callback: it answers that way on every Chrome release. */
function readProxy(settings: ProxySettings): Promise<ProxySetting> {
  return new Promise((resolve, reject) => {
    settings.get({}, (details) => {
      const failure = chromeApi()?.runtime?.lastError?.message;
      if (failure) reject(new Error(failure));
      else resolve(details);
    });
  });
}

export async function collectCompliance(): Promise<ComplianceReport> {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  const granted =
    (await callApi(
      "permissions.contains",
      browser.permissions?.contains && (() => browser.permissions.contains(managementPermission)),
      warn,
    )) === true;
  let extensions: SeenExtension[] = [];
  if (granted) {
    const all = await callApi(
      "management.getAll",
      browser.management?.getAll && (() => browser.management.getAll()),
      warn,
      500,
    );
    extensions = (all ?? [])
      .filter((e) => /^[a-p]{32}$/.test(e.id))
      .slice(0, 500)
      .map((e) => ({ id: e.id, name: e.name.slice(0, 200), enabled: e.enabled, installType: e.installType }));
  } else warn("The management permission is not granted: the extensions on this device cannot be checked.");
  const settings = chromeApi()?.proxy?.settings as ProxySettings | undefined;
  const proxy = await callApi("proxy.settings.get", settings?.get && (() => readProxy(settings)), warn, 500);
  const mode = proxy?.value?.mode;
  if (proxy && !proxyModes.includes(mode as ProxyMode)) warn(`proxy.settings.get answered an unknown mode: ${mode}`);
  return {
    collectedAt: new Date().toISOString(),
    managementGranted: granted,
    extensions,
    proxy:
      mode && proxyModes.includes(mode as ProxyMode)
        ? { mode: mode as ProxyMode, levelOfControl: proxy?.levelOfControl?.slice(0, 60) }
        : undefined,
    warnings: warnings.map((w) => w.slice(0, 300)).slice(0, 20),
  };
}

/** When the last report reached the agent: a worker that wakes often does not send each time. */
export const complianceSentItem = storage.defineItem<number | null>("local:complianceSentAt", { fallback: null });

export const complianceEveryMs = 6 * 60 * 60_000;

/**
 * Set when the agent refused a report with a `Retry-After` (429, or 503): no report goes before this
 * time. Kept in storage, as Chrome stops an idle worker after ~30 s, long before the wait is over.
 * While set, a report is owed: the first alarm or trigger after it sends one even when the last went
 * less than six hours ago (the refused one may have gone early because `management` was granted).
 */
export const complianceNotBeforeItem = storage.defineItem<number | null>("local:complianceNotBefore", {
  fallback: null,
  version: 1,
});

/**
 * Sends the report unless one went recently (or `force`), and never while the agent's Retry-After
 * lasts, `force` included; answers what happened, in words.
 */
export async function reportCompliance(options: { force?: boolean; now?: number } = {}): Promise<string> {
  const now = options.now ?? Date.now();
  const notBefore = await complianceNotBeforeItem.getValue();
  // A wait longer than any Retry-After taken means the clock was set back: it holds nothing back.
  if (notBefore !== null && now < notBefore && notBefore - now <= maxRetryAfterMs) return "rate limited";
  const last = await complianceSentItem.getValue();
  const owed = notBefore !== null;
  // A last report ahead of now was timed by a clock that has since been set back: it is not recent.
  const recent = last !== null && last <= now && now - last < complianceEveryMs;
  if (!options.force && !owed && recent) return "sent recently";
  const { settings } = await resolveSettings();
  if (!settings) return "not configured";
  const client = createAgentClient({ agentUrl: settings.agentUrl });
  const report = await collectCompliance();
  try {
    await sendEnrolled(settings, client, report);
  } catch (error) {
    // Without a Retry-After the agent can read, the next alarm tries again, as it always did.
    if (error instanceof AgentError && error.retryable && error.retryAfterMs !== undefined)
      await complianceNotBeforeItem.setValue(now + error.retryAfterMs);
    throw error;
  }
  await complianceSentItem.setValue(now);
  await complianceNotBeforeItem.setValue(null);
  return "sent";
}

async function sendEnrolled(settings: AgentSettings, client: AgentClient, report: ComplianceReport): Promise<void> {
  let enrollment = await ensureEnrollment(settings, client);
  try {
    await client.sendCompliance(enrollment.credential, report);
  } catch (error) {
    // The agent no longer knows this credential: enrol again once, as reports do.
    if (!(error instanceof AgentError && error.status === 401)) throw error;
    await forgetEnrollment(enrollment.credential);
    enrollment = await ensureEnrollment(settings, client);
    await client.sendCompliance(enrollment.credential, report);
  }
}
