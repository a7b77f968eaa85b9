/**
 * The service worker through a slow send: Chrome stops it after 30 s without an extension event or
 * API call, and a fetch still uploading does not count, so while a report goes the worker calls a
 * trivial extension API every 25 s, and stops once it is done.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { createCourier } from "../../extension/outbox/courier";
import { Outbox, type SendOutcome } from "../../extension/outbox/outbox";
import { outboxItem } from "../../extension/outbox/storage";
import { sampleReport } from "../support/agent";
import { restoreChrome, stubChrome } from "./chrome-stubs";

/** Chrome's idle limit for an extension service worker. */
const idleLimitMs = 30_000;

let ping: ReturnType<typeof vi.fn>;

beforeEach(() => {
  vi.useFakeTimers();
  ping = vi.fn((callback?: (info: { os: string; arch: string }) => void) => callback?.({ os: "cros", arch: "x86-64" }));
  stubChrome("runtime.getPlatformInfo", ping);
  vi.stubGlobal("chrome", fakeBrowser);
});
afterEach(() => {
  vi.useRealTimers();
  restoreChrome();
  vi.unstubAllGlobals();
});

/** An agent on a slow link: the answer arrives when the test says. */
function slowAgent() {
  let arrive: (outcome: SendOutcome) => void = () => {};
  const send = vi.fn(
    () =>
      new Promise<SendOutcome>((resolve) => {
        arrive = resolve;
      }),
  );
  return { send, answer: (number: number) => arrive({ kind: "delivered", receipt: { ticket: { number } as never } }) };
}

/** Lets `ms` pass in steps just under Chrome's idle limit, checking the worker was kept busy in each. */
async function expectKeptAliveFor(ms: number) {
  for (let passed = 0; passed < ms; passed += idleLimitMs - 1_000) {
    const before = ping.mock.calls.length;
    await vi.advanceTimersByTimeAsync(idleLimitMs - 1_000);
    expect(ping.mock.calls.length).toBeGreaterThan(before);
  }
}

async function expectLeftIdle() {
  const before = ping.mock.calls.length;
  await vi.advanceTimersByTimeAsync(10 * 60_000);
  expect(ping.mock.calls.length).toBe(before);
}

describe("keeping the service worker alive while a report goes", () => {
  it("calls an extension API at least every 30 s while Send waits on a slow upload, and stops after", async () => {
    const agent = slowAgent();
    const courier = createCourier({
      outbox: new Outbox({ storage: outboxItem, send: agent.send }),
      isActive: async () => true,
    });
    const answer = courier.submit(sampleReport());
    // A 3 MiB screenshot at 256 kbit/s takes about 100 s to upload.
    await expectKeptAliveFor(110_000);
    expect(agent.send).toHaveBeenCalledTimes(1);

    agent.answer(7);
    expect(await answer).toMatchObject({ outcome: "delivered", ticketNumber: 7 });
    await expectLeftIdle();
  });

  it("does the same when the delivery alarm sends what waited offline", async () => {
    const agent = slowAgent();
    const outbox = new Outbox({ storage: outboxItem, send: agent.send });
    await outbox.enqueue(sampleReport());
    const courier = createCourier({ outbox, isActive: async () => true });
    const delivery = courier.deliver();
    await expectKeptAliveFor(110_000);

    agent.answer(8);
    expect((await delivery)?.delivered.map((d) => d.ticketNumber)).toEqual([8]);
    await expectLeftIdle();
  });

  it("stops after a send that failed, too", async () => {
    const courier = createCourier({
      outbox: new Outbox({
        storage: outboxItem,
        send: () => new Promise((_, reject) => setTimeout(() => reject(new TypeError("Failed to fetch")), 60_000)),
      }),
      isActive: async () => true,
    });
    const answer = courier.submit(sampleReport());
    await expectKeptAliveFor(55_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await answer).toMatchObject({ outcome: "queued" });
    await expectLeftIdle();
  });
});
