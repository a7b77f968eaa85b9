/**
 * The outbox: reports wait here until the agent has answered 2xx for them. The idempotency key is
 * fixed when a report is made, so a report re-sent after a lost answer or a service-worker restart
 * still files one ticket. Size is bounded by count and by bytes: past `maxEntries` the oldest report
 * is dropped and counted; when a report does not fit (the bound, or the storage quota) screenshots are
 * left off, and say so, before any report is lost (see `#save`).
 */
import type { ProblemReport, ReportReceipt } from "../../shared";

export interface OutboxEntry {
  report: ProblemReport;
  enqueuedAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
  /** The agent refused it with a 4xx that retrying cannot fix; it stays until the user discards it. */
  rejected?: boolean;
  /** The screenshot did not fit in storage, so the report was kept without it. */
  screenshotLeftOff?: boolean;
  /**
   * When it was first handed to the agent, written before it goes: from then on the agent may hold
   * this body under its key, so it never changes (another body would be refused as
   * `idempotency_key_reused`), even when a lost worker never recorded the attempt.
   */
  firstSentAt?: number;
}

export interface DeliveredReport {
  idempotencyKey: string;
  ticketNumber: number;
  deliveredAt: number;
  /** It was filed without its screenshot; Send again must still say so. */
  screenshotLeftOff?: boolean;
}

/**
 * What Send came to: the report saved (or already waiting), or, when its key was delivered already
 * (the answer to the popup was lost), that delivery.
 */
export type Enqueued = { kind: "saved"; entry: OutboxEntry } | { kind: "delivered"; receipt: DeliveredReport };

export interface OutboxState {
  entries: OutboxEntry[];
  /** Reports dropped because the outbox was full. */
  droppedCount: number;
  /** The most recent deliveries, so a report queued offline can still show its ticket number. */
  delivered: DeliveredReport[];
}

export const emptyOutbox = (): OutboxState => ({
  entries: [],
  droppedCount: 0,
  delivered: [],
});

export interface OutboxStorage {
  getValue(): Promise<OutboxState>;
  setValue(state: OutboxState): Promise<void>;
}

/** What sending one report came to. A thrown error is treated like a retryable failure. */
export type SendOutcome =
  | { kind: "delivered"; receipt: ReportReceipt }
  | { kind: "retry"; error: string; retryAfterMs?: number }
  | { kind: "rejected"; error: string };

export interface OutboxOptions {
  storage: OutboxStorage;
  send: (report: ProblemReport) => Promise<SendOutcome>;
  maxEntries?: number;
  /** The most the saved outbox may take, as JSON bytes. */
  maxBytes?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  random?: () => number;
}

export interface FlushResult {
  delivered: DeliveredReport[];
  pending: number;
  /** When the next attempt is due, if anything is left to send. */
  nextAttemptAt?: number;
}

const keepDelivered = 50;

/**
 * The whole outbox is one `storage.local` value, read and rewritten at every step, so it stays small
 * enough to rewrite quickly and, at 8 MiB, within the 10 MB quota Chrome gives without
 * `unlimitedStorage`: two full-size (3 MiB) screenshots wait with their reports, later ones are left off.
 */
export const defaultMaxBytes = 8 * 1024 * 1024;

/** The space `state` takes in `storage.local`, which counts the UTF-8 bytes of its JSON. */
export function storedBytes(state: OutboxState): number {
  return new TextEncoder().encode(JSON.stringify(state)).byteLength;
}

/** The bytes `entry` takes within the saved outbox's JSON. */
function entryBytes(entry: OutboxEntry): number {
  return new TextEncoder().encode(JSON.stringify(entry)).byteLength;
}

/** Never handed to the agent, so its body may still change; entries saved before `firstSentAt` count attempts. */
function neverSent(entry: OutboxEntry): boolean {
  return entry.firstSentAt === undefined && entry.attempts === 0 && entry.lastError === undefined && !entry.rejected;
}

/** Thrown when not even a report without its screenshot can be stored; the popup shows the message. */
export class OutboxFullError extends Error {
  override name = "OutboxFullError";
  constructor(cause: unknown) {
    super(
      "This Chromebook has no room left to keep your report until it can be sent. Please tell your teacher or the tech team in person.",
      { cause },
    );
  }
}

export class Outbox {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #storage: OutboxStorage;
  readonly #send: OutboxOptions["send"];
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * Keys this worker handed to the agent: never changed afterwards, even when the disk was too full
   * to note `firstSentAt` before the send.
   */
  readonly #handedOver = new Set<string>();

  constructor(options: OutboxOptions) {
    this.#storage = options.storage;
    this.#send = options.send;
    this.maxEntries = options.maxEntries ?? 200;
    this.maxBytes = options.maxBytes ?? defaultMaxBytes;
    this.#baseDelayMs = options.baseDelayMs ?? 30_000;
    this.#maxDelayMs = options.maxDelayMs ?? 30 * 60_000;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Runs `task` after every earlier outbox operation of this worker: one writer at a time. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** A private copy: a storage fallback object must never be mutated in place. */
  async #read(): Promise<OutboxState> {
    return structuredClone(await this.#storage.getValue());
  }

  /** Exponential backoff with equal jitter: half fixed, half random, capped. */
  backoffMs(attempts: number): number {
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  /**
   * Saves `report` to be sent. A key already known answers what became of it: the saved report is the
   * one that goes, never this copy (the popup's, for Try again), whose body may differ (its screenshot
   * kept where the saved one left it off) and would be refused under the same key.
   */
  enqueue(report: ProblemReport): Promise<Enqueued> {
    return this.#exclusive(async (): Promise<Enqueued> => {
      const state = await this.#read();
      const key = report.idempotencyKey;
      const receipt = state.delivered.find((d) => d.idempotencyKey === key);
      if (receipt) return { kind: "delivered", receipt };
      const existing = state.entries.find((e) => e.report.idempotencyKey === key);
      if (existing) return { kind: "saved", entry: existing };
      const entry: OutboxEntry = {
        report,
        enqueuedAt: this.#now(),
        attempts: 0,
        nextAttemptAt: this.#now(),
      };
      await this.#save(this.#bounded(state, entry), entry);
      return { kind: "saved", entry };
    });
  }

  /**
   * Writes `next`, which holds the new `entry`, making room when it does not fit (past `maxBytes`, or
   * the quota refuses the write). Screenshots go before reports: first the new report's, as its student
   * is told at once; then, oldest first, those of reports never handed to the agent (a body it may hold
   * must not change). Only then, for the byte bound, whole reports go, oldest first and counted.
   */
  async #save(next: OutboxState, entry: OutboxEntry): Promise<void> {
    let bytes = storedBytes(next);
    let failure: unknown;
    const write = async (): Promise<boolean> => {
      if (bytes > this.maxBytes) return false;
      try {
        await this.#storage.setValue(next);
        return true;
      } catch (error) {
        // Most likely the quota; a failed write changes nothing, so try again with less.
        failure = error;
        return false;
      }
    };
    if (await write()) return;
    const older = next.entries.filter(
      (e) => e !== entry && neverSent(e) && !this.#handedOver.has(e.report.idempotencyKey),
    );
    for (const candidate of [entry, ...older]) {
      if (!candidate.report.screenshot) continue;
      const before = entryBytes(candidate);
      candidate.report = { ...candidate.report, screenshot: undefined };
      candidate.screenshotLeftOff = true;
      bytes -= before - entryBytes(candidate);
      if (await write()) return;
    }
    if (bytes > this.maxBytes) {
      while (next.entries.length > 1 && bytes > this.maxBytes) {
        next.entries.shift();
        next.droppedCount += 1;
        bytes = storedBytes(next);
      }
      if (await write()) return;
    }
    throw new OutboxFullError(failure);
  }

  /** `state` with `entry` added, the oldest reports dropped past `maxEntries`. */
  #bounded(state: OutboxState, entry: OutboxEntry): OutboxState {
    const entries = [...state.entries, entry];
    const dropped = Math.max(0, entries.length - this.maxEntries);
    return { ...state, entries: entries.slice(dropped), droppedCount: state.droppedCount + dropped };
  }

  /** Sends every report that is due, oldest first; stops at the first retryable failure. */
  flush(): Promise<FlushResult> {
    return this.#exclusive(async () => {
      let state = await this.#read();
      const delivered: DeliveredReport[] = [];
      const due = state.entries.filter((e) => !e.rejected && e.nextAttemptAt <= this.#now());
      for (const entry of due) {
        const key = entry.report.idempotencyKey;
        if (entry.firstSentAt === undefined) await this.#markSent(key);
        this.#handedOver.add(key);
        const outcome = await this.#send(entry.report).catch(
          (error: unknown): SendOutcome => ({
            kind: "retry",
            error: String((error as Error)?.message ?? error),
          }),
        );
        state = await this.#read();
        const index = state.entries.findIndex((e) => e.report.idempotencyKey === key);
        if (outcome.kind === "delivered") {
          const receipt: DeliveredReport = {
            idempotencyKey: key,
            ticketNumber: outcome.receipt.ticket.number,
            deliveredAt: this.#now(),
            ...(state.entries[index]?.screenshotLeftOff ? { screenshotLeftOff: true } : {}),
          };
          if (index >= 0) state.entries.splice(index, 1);
          state.delivered = [receipt, ...state.delivered.filter((d) => d.idempotencyKey !== key)].slice(
            0,
            keepDelivered,
          );
          delivered.push(receipt);
          await this.#storage.setValue(state);
          continue;
        }
        const current = state.entries[index];
        if (current) {
          current.attempts += 1;
          current.lastError = outcome.error;
          if (outcome.kind === "rejected") current.rejected = true;
          else
            current.nextAttemptAt = this.#now() + Math.max(outcome.retryAfterMs ?? 0, this.backoffMs(current.attempts));
        }
        // A Retry-After is the agent's word for this device, not for one report (its limit counts them
        // all): the other waiting reports hold back as long, rather than each being refused in turn.
        if (outcome.kind === "retry" && outcome.retryAfterMs !== undefined) {
          const until = this.#now() + outcome.retryAfterMs;
          for (const waiting of state.entries)
            if (!waiting.rejected) waiting.nextAttemptAt = Math.max(waiting.nextAttemptAt, until);
        }
        await this.#storage.setValue(state);
        if (outcome.kind === "retry") break;
      }
      return { delivered, ...summarize(state) };
    });
  }

  /**
   * Records, before it goes, that the report under `key` is being handed to the agent. A failed write
   * (a full disk) still lets it go: a report never sent is worse than the slim chance of its body
   * changing after a lost attempt.
   */
  async #markSent(key: string): Promise<void> {
    const state = await this.#read();
    const entry = state.entries.find((e) => e.report.idempotencyKey === key);
    if (!entry) return;
    entry.firstSentAt = this.#now();
    await this.#storage.setValue(state).catch((error: unknown) => {
      console.warn("TechDesk could not note that a report is being sent; sending it anyway.", error);
    });
  }

  /** Removes reports the agent refused for good (the popup offers this after showing why). */
  discardRejected(): Promise<number> {
    return this.#exclusive(async () => {
      const state = await this.#read();
      const before = state.entries.length;
      state.entries = state.entries.filter((e) => !e.rejected);
      await this.#storage.setValue(state);
      return before - state.entries.length;
    });
  }

  async status(): Promise<OutboxState & { nextAttemptAt?: number }> {
    const state = await this.#read();
    return { ...state, nextAttemptAt: summarize(state).nextAttemptAt };
  }
}

function summarize(state: OutboxState): {
  pending: number;
  nextAttemptAt?: number;
} {
  const waiting = state.entries.filter((e) => !e.rejected);
  const nextAttemptAt = waiting.length ? Math.min(...waiting.map((e) => e.nextAttemptAt)) : undefined;
  return { pending: waiting.length, nextAttemptAt };
}
