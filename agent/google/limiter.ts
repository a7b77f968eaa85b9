/**
 * Quota-aware concurrency: at most `concurrency` calls in flight and at most `limit` started in any
 * rolling window (a minute unless given), for one API and one acting user. Callers wait their turn
 * instead of drawing 403 rateLimitExceeded from Google.
 */
export class CallLimiter {
  readonly #starts: number[] = [];
  readonly #waiting: (() => void)[] = [];
  #active = 0;

  constructor(
    readonly concurrency: number,
    readonly limit: number,
    readonly now: () => number = Date.now,
    readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    readonly windowMs = 60_000,
  ) {}

  /** Calls waiting for their turn, and in flight: a queue the console can show. */
  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#active -= 1;
      this.#waiting.shift()?.();
    }
  }

  async #acquire(): Promise<void> {
    while (this.#active >= this.concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active += 1;
    for (;;) {
      const now = this.now();
      while (this.#starts.length && now - (this.#starts[0] ?? 0) >= this.windowMs) this.#starts.shift();
      if (this.#starts.length < this.limit) {
        this.#starts.push(now);
        return;
      }
      await this.sleep((this.#starts[0] ?? now) + this.windowMs - now + 1);
    }
  }
}
