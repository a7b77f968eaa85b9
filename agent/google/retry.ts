/**
 * Our retry rule for Google (the one GAM has used for years): gaxios alone retries only some
 * methods and misses the Admin SDK's 403 throttling. Retry these reasons, 429/5xx and network
 * errors; wait min(2^n, 60) s plus up to 1 s of jitter, or what Retry-After says; about 10 tries.
 */
export const retryableReasons = new Set([
  "quotaExceeded",
  "rateLimitExceeded",
  "userRateLimitExceeded",
  "backendError",
  "internalError",
  "badGateway",
  "gatewayTimeout",
  "transientError",
  "serviceNotAvailable",
]);

const networkCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
]);

export interface GoogleFailure {
  status?: number;
  reason?: string;
  message: string;
  retryAfterMs?: number;
  network: boolean;
}

/** Reads what a googleapis (gaxios) error says: HTTP status, Google's reason, Retry-After. */
export function describeGoogleError(error: unknown): GoogleFailure {
  const e = error as {
    status?: number;
    code?: string | number;
    message?: string;
    response?: {
      status?: number;
      headers?: Record<string, string> | Headers;
      data?: { error?: { errors?: { reason?: string }[]; status?: string; message?: string } };
    };
  };
  const status = e.response?.status ?? (typeof e.status === "number" ? e.status : undefined);
  const reason = e.response?.data?.error?.errors?.[0]?.reason ?? e.response?.data?.error?.status;
  const headers = e.response?.headers;
  const retryAfter = headers instanceof Headers ? headers.get("retry-after") : headers?.["retry-after"];
  // Seconds, or an HTTP date (RFC 9110 allows both).
  const seconds = retryAfter
    ? /^\s*\d+\s*$/.test(retryAfter)
      ? Number(retryAfter)
      : Math.max(0, (Date.parse(retryAfter) - Date.now()) / 1000)
    : Number.NaN;
  const code = typeof e.code === "string" ? e.code : undefined;
  return {
    status,
    reason,
    message: e.response?.data?.error?.message ?? e.message ?? String(error),
    retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : undefined,
    network:
      !status &&
      (code
        ? networkCodes.has(code)
        : /socket hang up|network|ECONN|fetch failed|other side closed/i.test(e.message ?? "")),
  };
}

export function isRetryable(failure: GoogleFailure): boolean {
  if (failure.network) return true;
  if (failure.status === 429 || (failure.status !== undefined && failure.status >= 500)) return true;
  return failure.status === 403 && failure.reason !== undefined && retryableReasons.has(failure.reason);
}

/**
 * Whether Google surely did not act on a request it failed: it throttled it (429, or 403 with a
 * throttling reason) or was unavailable (503). A 500, 502 or 504, or a dropped connection, can come
 * after Google acted, so a request that is not idempotent is not sent again after one.
 */
export function surelyNotActed(failure: GoogleFailure): boolean {
  if (failure.network || !isRetryable(failure)) return false;
  return failure.status === 429 || failure.status === 403 || failure.status === 503;
}

export interface RetryPolicy {
  maxTries: number;
  /** The first wait is baseMs (then doubling), capped at capMs; tests shrink both. */
  baseMs: number;
  capMs: number;
  jitterMs: number;
}

export const googleRetryPolicy: RetryPolicy = { maxTries: 10, baseMs: 1000, capMs: 60_000, jitterMs: 1000 };

export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  failure: GoogleFailure,
  random = Math.random,
): number {
  const exponential = Math.min(policy.baseMs * 2 ** attempt, policy.capMs) + random() * policy.jitterMs;
  return Math.max(exponential, failure.retryAfterMs ?? 0);
}
