/**
 * The outbox when storage runs short: a screenshot may be 3 MiB and `storage.local` has a quota
 * (10 MB, 5 MB before Chrome 114, unless `unlimitedStorage`). A report is never lost to space: its
 * screenshot is left off instead, and the student is told. A storage failure after the report was
 * saved never reads as a failure, and the delivery alarm is always re-armed.
 */
import { createHash, randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { browser } from "wxt/browser";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { createCourier, deliveryAlarm } from "../../../extension/outbox/courier";
import {
  Outbox,
  type OutboxOptions,
  type OutboxState,
  type OutboxStorage,
  type SendOutcome,
  storedBytes,
} from "../../../extension/outbox/outbox";
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
    // The enqueue write succeeds; the disk is then full: neither the note that the report is going
    // (which does not stop it) nor the record of the failed attempt can be written.
    const enqueue = outbox.enqueue.bind(outbox);
    outbox.enqueue = async (r) => {
      const entry = await enqueue(r);
      storage.refuseNextWrites = 2;
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

/** An agent that, as ours does, answers a key sent again with another body `422 idempotency_key_reused`. */
function strictAgent() {
  const tickets = new Map<string, { number: number; bodyHash: string }>();
  const sent: string[] = [];
  let online = false;
  const hash = (report: ProblemReport) => createHash("sha256").update(JSON.stringify(report)).digest("hex");
  return {
    tickets,
    sent,
    setOnline: (value: boolean) => {
      online = value;
    },
    send: async (report: ProblemReport): Promise<SendOutcome> => {
      if (!online) return { kind: "retry", error: "Could not reach the agent: Failed to fetch" };
      sent.push(report.idempotencyKey);
      const known = tickets.get(report.idempotencyKey);
      if (known && known.bodyHash !== hash(report)) return { kind: "rejected", error: "idempotency_key_reused" };
      const ticket = known ?? { number: tickets.size + 1, bodyHash: hash(report) };
      tickets.set(report.idempotencyKey, ticket);
      return { kind: "delivered", receipt: { ticket: { number: ticket.number } as never } };
    },
  };
}

/** A report whose text alone (1.6 KB) is more than the 1 KB of room left. */
const longReport = (name: string) =>
  screenshotReport(`${name}: ${"The screen flickers when I open the lid. ".repeat(40)}`);
const nameOf = (report: ProblemReport) => report.note?.split(":")[0];

/** An outbox over `storage`, bounded to what it holds now plus 1 KB. */
async function nearlyFull(storage: QuotaStorage, send: OutboxOptions["send"]) {
  return new Outbox({ storage, send, maxBytes: storedBytes(await storage.getValue()) + 1_024 });
}

describe("the outbox when a new report does not fit beside the ones waiting", () => {
  it("keeps every report, leaving screenshots off, when the bound is within 1 KB", async () => {
    const storage = new QuotaStorage(Number.POSITIVE_INFINITY);
    const school = strictAgent();
    const roomy = new Outbox({ storage, send: school.send, maxBytes: Number.POSITIVE_INFINITY });
    const waiting = ["one", "two"].map(longReport);
    for (const report of waiting) await roomy.enqueue(report);
    const outbox = await nearlyFull(storage, school.send);

    const latest = longReport("three");
    await outbox.enqueue(latest);

    const state = await outbox.status();
    expect(state.droppedCount).toBe(0);
    expect(state.entries.map((e) => nameOf(e.report))).toEqual(["one", "two", "three"]);
    expect(storage.bytes).toBeLessThanOrEqual(outbox.maxBytes);
    // The new report's screenshot goes first; then the oldest report never sent gives up its own.
    expect(state.entries.map((e) => Boolean(e.report.screenshot))).toEqual([false, true, false]);
    expect(state.entries.map((e) => e.screenshotLeftOff ?? false)).toEqual([true, false, true]);

    school.setOnline(true);
    await outbox.flush();
    expect([...school.tickets.keys()]).toEqual([...waiting, latest].map((r) => r.idempotencyKey));
  });

  it("never changes the body of a report that may already have reached the agent", async () => {
    const storage = new QuotaStorage(Number.POSITIVE_INFINITY);
    const school = strictAgent();
    const [tried, untried] = ["tried", "untried"].map(longReport) as [ProblemReport, ProblemReport];
    // The agent files the first report, but its answer never comes back: the same body must go again.
    school.setOnline(true);
    let loseAnswer = true;
    const lossy = new Outbox({
      storage,
      maxBytes: Number.POSITIVE_INFINITY,
      send: async (report) => {
        const outcome = await school.send(report);
        if (!loseAnswer) return outcome;
        loseAnswer = false;
        return { kind: "retry", error: "Could not reach the agent: connection reset" };
      },
    });
    await lossy.enqueue(tried);
    await lossy.flush();
    school.setOnline(false);
    await lossy.enqueue(untried);
    const outbox = await nearlyFull(storage, school.send);

    await outbox.enqueue(longReport("latest"));

    const state = await outbox.status();
    expect(state.droppedCount).toBe(0);
    expect(state.entries.map((e) => [nameOf(e.report), Boolean(e.report.screenshot)])).toEqual([
      ["tried", true],
      ["untried", false],
      ["latest", false],
    ]);
    school.setOnline(true);
    await new Outbox({ storage, send: school.send, now: () => Date.now() + 3_600_000 }).flush();
    expect((await outbox.status()).entries).toEqual([]);
    expect(school.tickets.size).toBe(3);
  });

  it("never changes the body of a report the worker was killed while sending, before it recorded the attempt", async () => {
    const storage = new QuotaStorage(Number.POSITIVE_INFINITY);
    const school = strictAgent();
    school.setOnline(true);
    const dying = new Outbox({
      storage,
      maxBytes: Number.POSITIVE_INFINITY,
      send: async (report) => {
        const outcome = await school.send(report);
        storage.refuseNextWrites = 1; // the worker is gone before it can save the answer
        return outcome;
      },
    });
    const sending = longReport("sending");
    await dying.enqueue(sending);
    await expect(dying.flush()).rejects.toThrow();
    expect((await storage.getValue()).entries[0]?.attempts).toBe(0);
    school.setOnline(false);
    await dying.enqueue(longReport("untried"));
    const outbox = await nearlyFull(storage, school.send);

    await outbox.enqueue(longReport("latest"));

    const state = await outbox.status();
    expect(state.entries[0]?.report).toEqual(sending);
    expect(state.entries.map((e) => [nameOf(e.report), Boolean(e.report.screenshot)])).toEqual([
      ["sending", true],
      ["untried", false],
      ["latest", false],
    ]);
    school.setOnline(true);
    await outbox.flush();
    expect((await outbox.status()).entries).toEqual([]);
    expect([...school.tickets.values()].map((t) => t.number)).toEqual([1, 2, 3]);
  });

  it("never changes the body of a report this worker sent while the disk was too full to note it", async () => {
    const storage = new QuotaStorage(Number.POSITIVE_INFINITY);
    const school = strictAgent();
    const roomy = new Outbox({ storage, send: school.send, maxBytes: Number.POSITIVE_INFINITY });
    const sending = longReport("sending");
    await roomy.enqueue(sending);
    await roomy.enqueue(longReport("untried"));
    let loseAnswer = true;
    const outbox = new Outbox({
      storage,
      maxBytes: storedBytes(await storage.getValue()) + 1_024,
      send: async (report) => {
        const outcome = await school.send(report);
        if (!loseAnswer) return outcome;
        loseAnswer = false;
        return { kind: "retry", error: "Could not reach the agent: connection reset" };
      },
    });
    school.setOnline(true);
    storage.refuseNextWrites = 2; // neither the note before the send nor the attempt after it is saved
    await expect(outbox.flush()).rejects.toThrow();
    expect((await storage.getValue()).entries[0]).toMatchObject({ attempts: 0 });
    expect(school.tickets.has(sending.idempotencyKey)).toBe(true);
    school.setOnline(false);

    await outbox.enqueue(longReport("latest"));

    const state = await outbox.status();
    expect(state.entries.map((e) => [nameOf(e.report), Boolean(e.report.screenshot)])).toEqual([
      ["sending", true],
      ["untried", false],
      ["latest", false],
    ]);
    school.setOnline(true);
    await new Outbox({ storage, send: school.send, now: () => Date.now() + 3_600_000 }).flush();
    expect((await outbox.status()).entries).toEqual([]);
    expect(school.tickets.size).toBe(3);
  });

  it("drops whole reports, oldest first and counted, only when leaving screenshots off is not enough", async () => {
    const storage = new QuotaStorage(Number.POSITIVE_INFINITY);
    const school = strictAgent();
    const roomy = new Outbox({ storage, send: school.send, maxBytes: Number.POSITIVE_INFINITY });
    for (const name of ["one", "two"]) await roomy.enqueue(longReport(name));
    // Both were tried (offline), so neither body may change.
    const tried = await storage.getValue();
    for (const entry of tried.entries) entry.attempts = 1;
    await storage.setValue(tried);
    const outbox = await nearlyFull(storage, school.send);

    await outbox.enqueue(longReport("three"));

    const state = await outbox.status();
    expect(state.entries.map((e) => nameOf(e.report))).toEqual(["two", "three"]);
    expect(state.droppedCount).toBe(1);
    expect(state.entries[0]?.report.screenshot).toBeTruthy();
  });
});

describe("Send again for a report the worker already handled", () => {
  it("answers the ticket already filed, and sends nothing, when only the answer to the popup was lost", async () => {
    const storage = new QuotaStorage(Number.POSITIVE_INFINITY);
    const school = strictAgent();
    school.setOnline(true);
    const outbox = new Outbox({ storage, send: school.send });
    const courier = createCourier({ outbox, isActive: async () => true });
    const report = screenshotReport("the popup's copy keeps its screenshot");
    // The first save found no room for the screenshot (a quota refusal), so the report was filed without it.
    storage.refuseNextWrites = 1;
    const first = await courier.submit(report);
    expect(first).toMatchObject({ outcome: "delivered", ticketNumber: 1, screenshotLeftOff: true });

    // The worker died before the popup heard; the student presses Try again with the popup's copy.
    const again = await courier.submit(report);

    expect(school.sent).toEqual([report.idempotencyKey]);
    expect(again).toMatchObject({ outcome: "delivered", ticketNumber: 1, screenshotLeftOff: true });
    expect((await outbox.status()).entries).toEqual([]);
  });

  it("keeps the saved body of a report still waiting, whatever copy is sent again", async () => {
    const storage = new QuotaStorage(Number.POSITIVE_INFINITY);
    const school = strictAgent();
    const outbox = new Outbox({ storage, send: school.send });
    const courier = createCourier({ outbox, isActive: async () => true });
    const report = screenshotReport("saved without its screenshot");
    storage.refuseNextWrites = 1;
    expect(await courier.submit(report)).toMatchObject({ outcome: "queued", screenshotLeftOff: true });

    // Try again with the popup's copy, which still has the screenshot: the saved body stays.
    expect(await courier.submit(report)).toMatchObject({ outcome: "queued", screenshotLeftOff: true });
    const [entry] = (await outbox.status()).entries;
    expect(entry?.report.screenshot).toBeUndefined();

    school.setOnline(true);
    await new Outbox({ storage, send: school.send, now: () => Date.now() + 3_600_000 }).flush();
    expect(school.sent).toEqual([report.idempotencyKey]);
    expect(school.tickets.size).toBe(1);
  });
});
