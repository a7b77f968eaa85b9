/**
 * Typed access to the raw `chrome` namespace. The webextension polyfill does not wrap `system.*`
 * or `enterprise.*`, and off ChromeOS the enterprise APIs are simply absent, so every caller gets
 * `undefined` rather than a thrown ReferenceError.
 */
import type { Browser } from "@wxt-dev/browser";

export type ChromeNamespace = typeof Browser;

/** The `chrome` global if this context has one; tests replace members with `vi.spyOn`. */
export function chromeApi(): Partial<ChromeNamespace> | undefined {
  return (globalThis as { chrome?: Partial<ChromeNamespace> }).chrome;
}
