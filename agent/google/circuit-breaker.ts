/**
 * Parks work while Google is failing: after `threshold` failed calls in a row (each already retried)
 * the circuit opens and calls fail at once for `cooldownMs`; then one trial call decides.
 */
export class CircuitOpenError extends Error {
  override name = "CircuitOpenError";
  constructor(
    readonly api: string,
    readonly retryAtMs: number,
  ) {
    super(`Google ${api} is failing; work is parked until ${new Date(retryAtMs).toISOString()}.`);
  }
}

export class CircuitBreaker {
  #failures = 0;
  #openUntil = 0;
  #trialInFlight = false;

  constructor(
    readonly api: string,
    readonly threshold = 5,
    readonly cooldownMs = 60_000,
    readonly now: () => number = Date.now,
    /** Whether an error means Google is failing; an answer such as 404 or 400 shows it is up. */
    readonly isFailure: (error: unknown) => boolean = () => true,
  ) {}

  get state(): "closed" | "open" | "half-open" {
    if (this.#openUntil === 0) return "closed";
    return this.now() < this.#openUntil ? "open" : "half-open";
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === "open") throw new CircuitOpenError(this.api, this.#openUntil);
    // The trial call can take minutes of retries: work waiting on it comes back a cooldown from now.
    if (state === "half-open" && this.#trialInFlight)
      throw new CircuitOpenError(this.api, this.now() + this.cooldownMs);
    if (state === "half-open") this.#trialInFlight = true;
    try {
      const result = await task();
      this.#failures = 0;
      this.#openUntil = 0;
      return result;
    } catch (error) {
      if (!this.isFailure(error)) {
        this.#failures = 0;
        this.#openUntil = 0;
        throw error;
      }
      this.#failures += 1;
      if (state === "half-open" || this.#failures >= this.threshold) this.#openUntil = this.now() + this.cooldownMs;
      throw error;
    } finally {
      if (state === "half-open") this.#trialInFlight = false;
    }
  }
}
