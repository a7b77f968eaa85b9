/**
 * Runs a background worker's pass when kicked (after a request) or on a timer, never two passes at
 * once: a kick during a pass runs one more pass after it, so no request waits for the next poll.
 */
export class Kicker {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #again = false;
  #stopped = false;

  constructor(
    readonly pass: () => Promise<unknown>,
    readonly onError: (error: unknown) => void,
  ) {}

  start(pollMs: number): void {
    this.#stopped = false;
    this.#timer = setInterval(() => this.kick(), pollMs);
    this.#timer.unref?.();
    this.kick();
  }

  /** Stops the timer and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.settled();
  }

  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.pass()
      .catch((error) => this.onError(error))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no pass is running (a pass's failure is the worker's to report, not the waiter's). */
  async settled(): Promise<void> {
    await this.#running?.catch(() => undefined);
  }
}
