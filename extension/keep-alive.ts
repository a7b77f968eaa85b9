/**
 * Keeps the service worker running through a long task. Chrome stops an extension service worker
 * after 30 s without an extension event or API call, and a fetch still uploading does not count, so a
 * report on a slow link was cut off mid-upload whatever its timeout. Chrome's documented remedy is a
 * trivial extension API call every 25 s while the work runs, allowed for managed education devices:
 * https://developer.chrome.com/docs/extensions/develop/concepts/service-workers/lifecycle#keep-sw-alive
 */
import { chromeApi } from "./chrome-api";

/** Under Chrome's 30 s idle limit, as in Chrome's own `waitUntil` example. */
export const keepAliveIntervalMs = 25_000;

/** Runs `task`, calling `runtime.getPlatformInfo` every `keepAliveIntervalMs` until it settles. */
export async function keepingAlive<T>(task: () => Promise<T>): Promise<T> {
  const timer = setInterval(function keepAlive() {
    const runtime = chromeApi()?.runtime;
    try {
      // The callback form: old Chromebooks' releases may not return a promise here.
      runtime?.getPlatformInfo?.(() => void runtime.lastError);
    } catch (error) {
      console.warn("TechDesk could not keep its background service awake during a send.", error);
    }
  }, keepAliveIntervalMs);
  try {
    return await task();
  } finally {
    clearInterval(timer);
  }
}
