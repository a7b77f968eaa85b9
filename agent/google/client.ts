/**
 * The one Google client: per-API services from `googleapis` pointed at Google or the sandbox,
 * every call through our retry rule, a limiter per API and acting user, and a circuit breaker.
 */
import { admin, type admin_directory_v1 } from "googleapis/build/src/apis/admin/index.js";
import { chromemanagement, type chromemanagement_v1 } from "googleapis/build/src/apis/chromemanagement/index.js";
import { chromepolicy, type chromepolicy_v1 } from "googleapis/build/src/apis/chromepolicy/index.js";
import type { Logger } from "../log";
import { CircuitBreaker } from "./circuit-breaker";
import { CallLimiter } from "./limiter";
import {
  describeGoogleError,
  type GoogleFailure,
  googleRetryPolicy,
  isRetryable,
  type RetryPolicy,
  retryDelayMs,
  surelyNotActed,
} from "./retry";

export type GoogleApi = "directory" | "policy" | "telemetry";

/** Whatever `googleapis` accepts as `auth` (its own copy of google-auth-library's types). */
export type GoogleAuthOption = admin_directory_v1.Options["auth"];

export class GoogleCallError extends Error {
  override name = "GoogleCallError";
  constructor(
    readonly api: GoogleApi,
    readonly label: string,
    readonly failure: GoogleFailure,
    readonly tries: number,
  ) {
    super(
      `Google ${api} ${label} failed after ${tries} tr${tries === 1 ? "y" : "ies"}: ${failure.status ?? "network"} ${failure.reason ?? ""} ${failure.message}`.replace(
        /\s+/g,
        " ",
      ),
    );
  }
}

export interface GoogleClientOptions {
  /** An auth client (JWT, GoogleAuth client); none for the sandbox. */
  auth?: GoogleAuthOption;
  /** The sandbox's URL; Google's own when absent. */
  rootUrl?: string;
  /** `my_customer` means the acting admin's account. */
  customerId?: string;
  /** Who the calls act as, for the per-user limiter. */
  actingUser?: string;
  retry?: RetryPolicy;
  /** Calls in flight and per minute, per API (Admin SDK: 2,400/min/user; Policy reads 10/s). */
  limits?: Partial<Record<GoogleQuota, Quota>>;
  breaker?: { threshold: number; cooldownMs: number };
  /** How long a deduplicated call's answer is given again for its key once it succeeded (10 min). */
  dedupeKeptMs?: number;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
}

/** Calls in flight, and calls started per rolling window. */
export interface Quota {
  concurrency: number;
  limit: number;
  windowMs: number;
}

/** Google's quotas: Admin SDK 2,400 a minute per user; Chrome Policy reads 10 a second per user and writes 30 a minute per customer. */
export type GoogleQuota = GoogleApi | "policyWrite";
const defaultLimits: Record<GoogleQuota, Quota> = {
  // The full sync's OU walks at once (`defaultParallelOus`, 32), with room for the console's own calls.
  directory: { concurrency: 40, limit: 2_400, windowMs: 60_000 },
  // 50 ms over Google's second, for the same reason as the writes' margin below: without it the
  // audit benchmark saw one read in seven refused with 429 (and retried late); with it, none.
  policy: { concurrency: 5, limit: 10, windowMs: 1_050 },
  // A second over Google's minute: our clock starts a call before Google counts it, so a window
  // measured here could close a moment before Google's and the 31st write be refused.
  policyWrite: { concurrency: 1, limit: 30, windowMs: 61_000 },
  telemetry: { concurrency: 10, limit: 2_400, windowMs: 60_000 },
};

/** Chrome Policy writes count against their own per-customer quota. */
const policyWrites = new Set(["policies.orgunits.batchModify", "policies.orgunits.batchInherit"]);

export interface CallOptions {
  /** False for POSTs like issueCommand: retried only when Google surely did not act on them. */
  idempotent?: boolean;
  /** For non-idempotent calls: a key of ours; a second call with it answers the first's result. */
  dedupeKey?: string;
  /** Fewer tries than the retry policy's, for a call someone is waiting on (the connection check). */
  maxTries?: number;
}

/** Per-request options every adapter passes: our rule retries, so gaxios must not. */
export const noGaxiosRetry = { retry: false } as const;

export function createGoogleClient(options: GoogleClientOptions = {}) {
  const service = { auth: options.auth, ...(options.rootUrl ? { rootUrl: options.rootUrl } : {}) };
  const directory: admin_directory_v1.Admin = admin({ version: "directory_v1" as const, ...service });
  const policy: chromepolicy_v1.Chromepolicy = chromepolicy({ version: "v1" as const, ...service });
  const telemetry: chromemanagement_v1.Chromemanagement = chromemanagement({ version: "v1" as const, ...service });
  const retry = options.retry ?? googleRetryPolicy;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const user = options.actingUser ?? "default";
  const limiters = new Map<string, CallLimiter>();
  const breakers = new Map<GoogleApi, CircuitBreaker>();
  const deduped = new Map<string, Promise<unknown>>();
  let calls = 0;

  const limiterFor = (api: GoogleApi, label: string) => {
    const quota: GoogleQuota = api === "policy" && policyWrites.has(label) ? "policyWrite" : api;
    const key = quota === "policyWrite" ? quota : `${quota}:${user}`;
    let limiter = limiters.get(key);
    if (!limiter) {
      const limit = { ...defaultLimits[quota], ...options.limits?.[quota] };
      limiter = new CallLimiter(limit.concurrency, limit.limit, Date.now, undefined, limit.windowMs);
      limiters.set(key, limiter);
    }
    return limiter;
  };
  const breakerFor = (api: GoogleApi) => {
    let breaker = breakers.get(api);
    if (!breaker) {
      breaker = new CircuitBreaker(
        api,
        options.breaker?.threshold ?? 5,
        options.breaker?.cooldownMs ?? 60_000,
        Date.now,
        // Google refusing one request (404, 400, 409) is an answer, not an outage.
        (error) => !(error instanceof GoogleCallError) || isRetryable(error.failure),
      );
      breakers.set(api, breaker);
    }
    return breaker;
  };

  async function withRetries<T>(
    api: GoogleApi,
    label: string,
    fn: () => Promise<{ data: T }>,
    idempotent: boolean,
    maxTries = retry.maxTries,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        calls += 1;
        return (await limiterFor(api, label).run(fn)).data;
      } catch (error) {
        const failure = describeGoogleError(error);
        // A non-idempotent POST is retried only when Google surely did not act: throttled or unavailable.
        const safe = idempotent || surelyNotActed(failure);
        if (!isRetryable(failure) || !safe || attempt + 1 >= maxTries)
          throw new GoogleCallError(api, label, failure, attempt + 1);
        const wait = retryDelayMs(attempt, retry, failure);
        options.log?.warn("google call retried", {
          api,
          label,
          attempt: attempt + 1,
          status: failure.status,
          reason: failure.reason,
          waitMs: Math.round(wait),
        });
        await sleep(wait);
      }
    }
  }

  return {
    directory,
    policy,
    telemetry,
    customerId: options.customerId ?? "my_customer",
    /** Every Google request, retries included, since start: benchmarks report it. */
    get calls() {
      return calls;
    },
    breakerState: (api: GoogleApi) => breakerFor(api).state,
    /** Policy writes waiting for the per-customer write quota: the remediation queue shows it. */
    get policyWritesWaiting() {
      return limiters.get("policyWrite")?.waiting ?? 0;
    },
    call<T>(api: GoogleApi, label: string, fn: () => Promise<{ data: T }>, callOptions: CallOptions = {}): Promise<T> {
      const run = () =>
        breakerFor(api).run(() =>
          withRetries(api, label, fn, callOptions.idempotent ?? true, callOptions.maxTries ?? retry.maxTries),
        );
      if (!callOptions.dedupeKey) return run();
      const key = `${api}:${label}:${callOptions.dedupeKey}`;
      const earlier = deduped.get(key);
      if (earlier) return earlier as Promise<T>;
      const pending = run().then(
        (result) => {
          // Kept a while, for a caller that asks again in the same breath; the durable record is the caller's.
          setTimeout(() => deduped.delete(key), options.dedupeKeptMs ?? 10 * 60_000).unref();
          return result;
        },
        (error: unknown) => {
          deduped.delete(key);
          throw error;
        },
      );
      deduped.set(key, pending);
      return pending;
    },
  };
}

export type GoogleClient = ReturnType<typeof createGoogleClient>;
