/**
 * Throttles failed sign-ins per client address, on top of the per-account lockout: someone trying
 * many accounts from one place is slowed down too. Kept in memory: each agent replica counts its own.
 */
export interface ThrottleOptions {
  /** Failed attempts (counting those still being checked) allowed per address within the window. */
  maxFailures: number;
  windowMs: number;
}

export class SignInThrottle {
  readonly #attempts = new Map<string, number[]>();
  constructor(readonly options: ThrottleOptions = { maxFailures: 20, windowMs: 10 * 60_000 }) {}

  #recent(address: string, now: number): number[] {
    const kept = (this.#attempts.get(address) ?? []).filter((t) => now - t < this.options.windowMs);
    if (kept.length) this.#attempts.set(address, kept);
    else this.#attempts.delete(address);
    return kept;
  }

  /**
   * Takes one attempt for this address and answers 0, or answers the minutes until it may try again.
   * The attempt counts from here, before the password is checked, so a burst of parallel requests
   * cannot all pass while none has failed yet; `forgive` hands it back when the sign-in succeeds.
   */
  reserve(address: string, now = Date.now()): number {
    const recent = this.#recent(address, now);
    if (recent.length >= this.options.maxFailures) {
      const oldest = recent[0] ?? now;
      return Math.max(1, Math.ceil((oldest + this.options.windowMs - now) / 60_000));
    }
    this.#attempts.set(address, [...recent, now]);
    // Bound the memory an attacker with many addresses can take.
    if (this.#attempts.size > 50_000) {
      const first = this.#attempts.keys().next().value;
      if (first !== undefined) this.#attempts.delete(first);
    }
    return 0;
  }

  /** Takes back the attempt reserved at `at`: it did not fail. */
  forgive(address: string, at: number): void {
    const attempts = this.#attempts.get(address);
    const index = attempts?.indexOf(at) ?? -1;
    if (!attempts || index < 0) return;
    attempts.splice(index, 1);
    if (!attempts.length) this.#attempts.delete(address);
  }
}
