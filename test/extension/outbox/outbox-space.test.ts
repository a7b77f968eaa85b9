/**
 * The outbox when storage runs short: a screenshot may be 3 MiB and `storage.local` has a quota
 * (10 MB, 5 MB before Chrome 114, unless `unlimitedStorage`). A report is never lost to space: its
 * screenshot is left off instead, and the student is told. A storage failure after the report was
 * saved never reads as a failure, and the delivery alarm is always re-armed.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { browser } from "wxt/browser";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { createCourier, deliveryAlarm } from "../../../extension/outbox/courier";
import { Outbox, type OutboxState, type OutboxStorage, type SendOutcome } from "../../../extension/outbox/outbox";
import { maxScreenshotChars, type ProblemReport, problemReport } from "../../../shared";
import wxtConfig from "../../../wxt.config";
import { sampleDiagnostics } from "../../support/agent";

afterEach(() => fakeBrowser.reset());

const MiB = 1024 * 1024;

/** A 3 MiB JPEG data URL, the largest screenshot a report may carry. */
function bigScreenshot(): string {
  const prefix = "data:image/jpeg;base64,";
  return prefix + "A".repeat(maxScreenshotChars - prefix.length);
}

function screenshotReport(note: string): ProblemReport {
  return problemReport.parse({
    idempotencyKey: randomUUID(),
    category: "screen",
    note,
    screenshot: bigScreenshot(),
    clientTime: new Date().toISOString(),
    diagnostics: sampleDiagnostics(),
  });
}

/** `storage.local` with a quota: a write whose JSON is larger than `limitBytes` is refused, as Chrome does. */
class QuotaStorage implements OutboxStorage {
  #saved = JSON.stringify({ entries: [], droppedCount: 0, delivered: [] } satisfies OutboxState);
  refuseNextWrites = 0;
  constructor(readonly limitBytes: number) {}
  async getValue(): Promise<OutboxState> {
    return JSON.parse(this.#saved);
  }
  async setValue(state: OutboxState): Promise<void> {
    const json = JSON.stringify(state);
    if (this.refuseNextWrites > 0) {
      this.refuseNextWrites -= 1;
      throw new Error("Resource::kQuotaBytes quota exceeded");
    }
    if (new TextEncoder().encode(json).byteLength > this.limitBytes)
      throw new Error("Resource::kQuotaBytes quota exceeded");
    this.#saved = json;
  }
  get bytes(): number {
    return this.#saved.length;
  }
}

/** An agent that files one ticket per idempotency key, and counts what it was sent. */
function agent() {
  const tickets = new Map<string, ProblemReport>();
  let online = false;
  return {
    tickets,
    setOnline: (value: boolean) => {
      online = value;
    },
    send: async (report: ProblemReport): Promise<SendOutcome> => {
      if (!online) return { kind: "retry", error: "Could not reach the agent: Failed to fetch" };
      if (!tickets.has(report.idempotencyKey)) tickets.set(report.idempotencyKey, report);
      return { kind: "delivered", receipt: { ticket: { number: tickets.size } as never } };
    },
  };
}

describe("the outbox when storage runs short", () => {
  it("asks Chrome for unlimited storage", () => {
    const manifest = wxtConfig.manifest as { permissions?: string[] };
    expect(manifest.permissions).toContain("unlimitedStorage");
  });

  it.each([
    ["a 5 MB quota (Chrome before 114)", 5_000_000],
    ["a 10 MB quota", 10_000_000],
  ])(
    "keeps all of four offline reports with 3 MiB screenshots under %s, leaving screenshots off as needed",
    async (_, limit) => {
      const storage = new QuotaStorage(limit);
      const school = agent();
      const outbox = new Outbox({ storage, send: school.send });
      const reports = ["one", "two", "three", "four"].map(screenshotReport);
      for (const report of reports) await outbox.enqueue(report);

      const kept = (await outbox.status()).entries;
      expect(kept.map((e) => e.report.idempotencyKey)).toEqual(reports.map((r) => r.idempotencyKey));
      expect(kept[0]?.report.screenshot).toBe(reports[0]?.screenshot);
      expect(kept[0]?.screenshotLeftOff).toBeUndefined();
      for (const entry of kept.filter((e) => !e.report.screenshot)) expect(entry.screenshotLeftOff).toBe(true);
      expect(kept.filter((e) => e.screenshotLeftOff).length).toBeGreaterThan(0);
      expect((await outbox.status()).droppedCount).toBe(0);

      school.setOnline(true);
      await outbox.flush();
      expect((await outbox.status()).entries).toEqual([]);
      expect([...school.tickets.keys()]).toEqual(reports.map((r) => r.idempotencyKey));
      expect([...school.tickets.values()].map((r) => r.note)).toEqual(["one", "two", "three", "four"]);
    },
  );

  it("bounds itself by bytes as well as by count, even where storage is unlimited", async () => {
    const storage = new QuotaStorage(Number.POSITIVE_INFINITY);
    const outbox = new Outbox({ storage, send: agent().send, maxBytes: 7 * MiB });
    for (const note of ["one", "two", "three", "four"]) await outbox.enqueue(screenshotReport(note));
    const kept = (await outbox.status()).entries;
    expect(kept).toHaveLength(4);
    expect(kept.map((e) => Boolean(e.report.screenshot))).toEqual([true, true, false, false]);
    expect(storage.bytes).toBeLessThanOrEqual(7 * MiB);
  });

  it("says so, in words, when not even the report without its screenshot fits", async () => {
    const outbox = new Outbox({ storage: new QuotaStorage(1_000), send: agent().send });
    await expect(outbox.enqueue(screenshotReport("big"))).rejects.toThrow(/no room left/);
  });
});

describe("the courier (the worker's Send)", () => {
  it("answers queued, never failed, when a write after the report was saved fails, and re-arms the alarm", async () => {
    const storage = new QuotaStorage(Number.POSITIVE_INFINITY);
    const school = agent();
    const outbox = new Outbox({ storage, send: school.send });
    const courier = createCourier({ outbox, isActive: async () => true });
    const report = screenshotReport("saved, then the disk filled");
    // The enqueue write succeeds; the write that records the failed attempt does not.
    const enqueue = outbox.enqueue.bind(outbox);
    outbox.enqueue = async (r) => {
      const entry = await enqueue(r);
      storage.refuseNextWrites = 1;
      return entry;
    };

    const answer = await courier.submit(report);
    expect(answer.outcome).toBe("queued");
    expect(await browser.alarms.get(deliveryAlarm)).toBeDefined();
    expect((await outbox.status()).entries.map((e) => e.report.idempotencyKey)).toEqual([report.idempotencyKey]);

    school.setOnline(true);
    await courier.deliver();
    expect([...school.tickets.keys()]).toEqual([report.idempotencyKey]);
  });

  it("tells the student when the screenshot was left off", async () => {
    const outbox = new Outbox({ storage: new QuotaStorage(5_000_000), send: agent().send });
    const courier = createCourier({ outbox, isActive: async () => true });
    expect((await courier.submit(screenshotReport("first"))).screenshotLeftOff).toBeFalsy();
    expect(await courier.submit(screenshotReport("second"))).toMatchObject({
      outcome: "queued",
      screenshotLeftOff: true,
    });
  });
});
