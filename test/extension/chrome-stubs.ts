/**
 * Stubs for the Chrome APIs `fakeBrowser` lacks (`system`, `enterprise`, `identity.getProfileUserInfo`).
 * Each stub is a `vi.fn`, so tests can make it answer, throw, hang or answer "".
 */
import { vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";

type Fake = Record<string, unknown>;
const fake = fakeBrowser as unknown as Fake;
const added: [Fake, string, unknown][] = [];

/** Sets `fakeBrowser.<path>` to `value` until `restoreChrome()`. */
export function stubChrome(dotted: string, value: unknown) {
  const parts = dotted.split(".");
  let target = fake;
  for (const part of parts.slice(0, -1)) {
    if (target[part] === undefined) {
      added.push([target, part, undefined]);
      target[part] = {};
    }
    target = target[part] as Fake;
  }
  const last = parts.at(-1) as string;
  added.push([target, last, target[last]]);
  target[last] = value;
}

export function restoreChrome() {
  for (const [target, key, previous] of added.reverse()) {
    if (previous === undefined) delete target[key];
    else target[key] = previous;
  }
  added.length = 0;
  fakeBrowser.reset();
}

export const hangs = () => vi.fn(() => new Promise<never>(() => {}));
export const throws = (message = "boom") =>
  vi.fn(() => {
    throw new Error(message);
  });
export const rejects = (message = "Not allowed") => vi.fn(() => Promise.reject(new Error(message)));
export const answers = <T>(value: T) => vi.fn(() => Promise.resolve(value));

export function deviceAttributesApi(overrides: Record<string, unknown> = {}) {
  return {
    getDirectoryDeviceId: answers("a1b2c3d4-dir"),
    getDeviceSerialNumber: answers("5CD1234XYZ"),
    getDeviceAssetId: answers("LHS-0042"),
    getDeviceAnnotatedLocation: answers("Room 114"),
    getDeviceHostname: answers("lhs-cb-0042"),
    ...overrides,
  };
}
