/**
 * Throttles failed sign-ins per client address, on top of the per-account lockout: someone trying
 * many accounts from one place is slowed down too. Kept in memory: each agent replica counts its own.
 */
export interface ThrottleOptions {
  /** Failed attempts allowed per address within the window. */
  maxFailures: number;
  windowMs: number;
}

export class SignInThrottle {
  readonly #failures = new Map<string, number[]>();
  constructor(readonly options: ThrottleOptions = { maxFailures: 20, windowMs: 10 * 60_000 }) {}

  #recent(address: string, now: number): number[] {
    const kept = (this.#failures.get(address) ?? []).filter((t) => now - t < this.options.windowMs);
    if (kept.length) this.#failures.set(address, kept);
    else this.#failures.delete(address);
    return kept;
  }

  /** Minutes until this address may try again, or 0 when it may try now. */
  waitMinutes(address: string, now = Date.now()): number {
    const recent = this.#recent(address, now);
    if (recent.length < this.options.maxFailures) return 0;
    const oldest = recent[0] ?? now;
    return Math.max(1, Math.ceil((oldest + this.options.windowMs - now) / 60_000));
  }

  recordFailure(address: string, now = Date.now()): void {
    this.#failures.set(address, [...this.#recent(address, now), now]);
    // Bound the memory an attacker with many addresses can take.
    if (this.#failures.size > 50_000) {
      const first = this.#failures.keys().next().value;
      if (first !== undefined) this.#failures.delete(first);
    }
  }
}
