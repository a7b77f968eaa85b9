/**
 * What the device action worker and the remediation worker share: a holder name and claim tokens
 * for the rows they take, a clock, a kicker that runs their passes, draining, and the backoff that
 * parks work while Google is failing.
 */
import { randomUUID } from "node:crypto";
import { CircuitOpenError } from "../google/circuit-breaker";
import { GoogleCallError } from "../google/client";
import { isRetryable } from "../google/retry";
import type { Logger } from "../log";
import { Kicker } from "./kicker";

export interface ClaimingWorkerOptions {
  holder?: string;
  now?: () => Date;
  /** How often due work is looked for when nothing kicks the worker. */
  pollMs?: number;
  /** How long a claim lasts: a worker that dies holding work loses it after this. */
  claimMs?: number;
  /** First wait after Google failed; doubles per attempt up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

type Pacing = Required<Omit<ClaimingWorkerOptions, "holder" | "now">>;

/** Google did not answer (throttled, failing, unreachable) or was not asked (breaker open): worth asking again. */
export function isTransient(error: unknown): boolean {
  return error instanceof CircuitOpenError || (error instanceof GoogleCallError && isRetryable(error.failure));
}

export abstract class ClaimingWorker {
  readonly holder: string;
  protected readonly now: () => Date;
  protected readonly pacing: Pacing;
  readonly #kicker: Kicker;

  constructor(
    readonly log: Logger,
    options: ClaimingWorkerOptions,
    defaults: Pacing & { holderPrefix: string; name: string },
  ) {
    this.holder = options.holder ?? `${defaults.holderPrefix}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.now = options.now ?? (() => new Date());
    this.pacing = {
      pollMs: options.pollMs ?? defaults.pollMs,
      claimMs: options.claimMs ?? defaults.claimMs,
      backoffMs: options.backoffMs ?? defaults.backoffMs,
      maxBackoffMs: options.maxBackoffMs ?? defaults.maxBackoffMs,
    };
    this.#kicker = new Kicker(
      () => this.tick(),
      (error) => this.log.error(`${defaults.name} failed`, { error: String(error) }),
    );
  }

  /** One pass over due work; answers how much of it moved. */
  abstract tick(): Promise<number>;

  start(): void {
    this.#kicker.start(this.pacing.pollMs);
  }

  async stop(): Promise<void> {
    await this.#kicker.stop();
  }

  /** Looks for due work now (after a request), without waiting for the next poll. */
  kick(): void {
    this.#kicker.kick();
  }

  /** Runs passes until `finished` answers true (then true) or `timeoutMs` passes (then false), resting `restMs` between. */
  protected async drainUntil(finished: () => Promise<boolean>, timeoutMs: number, restMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      await this.#kicker.settled();
      await this.tick();
      if (await finished()) return true;
      await new Promise((resolve) => setTimeout(resolve, restMs));
    }
    return false;
  }

  /** A token for one claim: this worker's name and a part no other claim has. */
  protected claimToken(): string {
    return `${this.holder}:${randomUUID()}`;
  }

  /** When a claim taken or renewed at `from` lapses. */
  protected claimEnd(from: Date): string {
    return new Date(from.getTime() + this.pacing.claimMs).toISOString();
  }

  /** After `attempts` that Google failed: the wait doubles per attempt, up to `maxBackoffMs`. */
  protected later(attempts: number, now = this.now()): Date {
    const wait = Math.min(this.pacing.maxBackoffMs, this.pacing.backoffMs * 2 ** Math.max(0, attempts - 1));
    return new Date(now.getTime() + wait);
  }

  /** When work Google failed on is tried again: once the breaker lets calls through, or after the backoff. */
  protected retryAt(error: unknown, attempts: number, now = this.now()): Date {
    return error instanceof CircuitOpenError
      ? new Date(Math.max(error.retryAtMs, now.getTime()))
      : this.later(attempts, now);
  }
}
