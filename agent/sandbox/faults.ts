/**
 * What makes the sandbox behave like Google on a bad day: latency, a per-user queries-per-minute
 * quota answered with 403 `userRateLimitExceeded`, and injected faults (429, 403 rate limits,
 * 500/503, dropped connections) for tests and benchmarks.
 */
export type InjectedFault =
  | { kind: "status"; status: 429 | 500 | 503; reason?: string }
  | { kind: "rateLimit"; reason: "rateLimitExceeded" | "userRateLimitExceeded" | "quotaExceeded" }
  | { kind: "drop" };

export interface FaultRule {
  fault: InjectedFault;
  /** How many matching requests get it. */
  times: number;
  /** Only requests whose method and path match, e.g. /devices\/chromeos/ — all when absent. */
  match?: RegExp;
  method?: string;
}

export interface SandboxBehaviour {
  /** Added to every request, in ms. */
  latencyMs: number;
  /** Queries per minute per user (the `Authorization` subject); 0 turns the quota off. */
  queriesPerMinute: number;
  /** Share of requests that fail at random with 503 (0..1). */
  randomFailureRate: number;
}

export class FaultPlan {
  readonly behaviour: SandboxBehaviour;
  readonly #rules: FaultRule[] = [];
  readonly #windows = new Map<string, number[]>();
  /** Requests answered, by method and path pattern: benchmarks count API calls here. */
  calls = 0;

  constructor(behaviour: Partial<SandboxBehaviour> = {}) {
    this.behaviour = { latencyMs: 0, queriesPerMinute: 0, randomFailureRate: 0, ...behaviour };
  }

  inject(rule: FaultRule): void {
    this.#rules.push({ ...rule });
  }

  clear(): void {
    this.#rules.length = 0;
    this.#windows.clear();
  }

  /** Injected faults not yet served: tests check every one was met. */
  get pending(): number {
    return this.#rules.reduce((sum, r) => sum + Math.max(0, r.times), 0);
  }

  /** The fault this request gets, if any; consumes one use of the rule. */
  take(method: string, path: string): InjectedFault | undefined {
    const rule = this.#rules.find(
      (r) => r.times > 0 && (!r.method || r.method === method) && (!r.match || r.match.test(path)),
    );
    if (rule) {
      rule.times -= 1;
      return rule.fault;
    }
    return undefined;
  }

  /** True when this user is over the per-minute quota (and counts the query). */
  overQuota(user: string, now = Date.now()): boolean {
    if (!this.behaviour.queriesPerMinute) return false;
    const recent = (this.#windows.get(user) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.behaviour.queriesPerMinute) {
      this.#windows.set(user, recent);
      return true;
    }
    recent.push(now);
    this.#windows.set(user, recent);
    return false;
  }
}
