/**
 * Flood protection for the API that devices call: a token bucket per enrollment and endpoint family,
 * so one broken or hostile device (or a script holding its credential) cannot fill the ticket queue
 * or the database, and a generous bucket per client address for enrolling, the one device call made
 * without a credential. A bucket lets a burst through at once (an outbox delivering its backlog) and
 * then refills at a steady rate.
 *
 * Kept in memory: each agent replica counts its own, so behind a load balancer over N replicas a
 * device may get up to N times these rates (still bounded), and a restart forgives everyone.
 */
import type { Context } from "hono";
import { ApiError } from "../errors";

export interface BucketLimit {
  /** Requests let through at once from a full bucket. */
  burst: number;
  /** Requests per hour the bucket refills at once the burst is spent (more than 0). */
  perHour: number;
}

export interface DeviceLimits {
  /** POST /v1/reports, per enrollment. */
  reports: BucketLimit;
  /** POST /v1/compliance, per enrollment. */
  compliance: BucketLimit;
  /** GET /v1/device/tickets, per enrollment. */
  ticketReads: BucketLimit;
  /** POST /v1/enroll, per client address (ENROLLMENTS_PER_ADDRESS_HOUR, at once and per hour). */
  enrollPerAddress: BucketLimit;
}

/** The limits per enrollment; enrolling's per address comes from the configuration. */
export const deviceLimits: Omit<DeviceLimits, "enrollPerAddress"> = {
  // The extension's outbox keeps up to 200 reports while the agent is out of reach (`maxEntries` in
  // extension/outbox/outbox.ts) and sends them one after another when it is back: that whole backlog
  // passes, with room for resends whose answer was lost. Then one every two minutes, far more than a
  // student makes.
  reports: { burst: 250, perHour: 30 },
  // The extension reports every six hours, and at once when the management permission is granted.
  compliance: { burst: 10, perHour: 6 },
  // Read each time the popup opens.
  ticketReads: { burst: 30, perHour: 120 },
};

/** The most buckets one throttle keeps; past it the least recently used goes (a full bucket loses nothing). */
const maxBuckets = 100_000;

const roundingAllowance = 1e-9;

/** "2 minutes", "1 second": how long until a request is accepted again. */
function inWords(seconds: number): string {
  const [amount, unit] = seconds < 120 ? [seconds, "second"] : [Math.ceil(seconds / 60), "minute"];
  return `${amount} ${unit}${amount === 1 ? "" : "s"}`;
}

export class DeviceThrottle {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #perMs: number;

  /** `sentence` says who sent too much of what, e.g. "This Chromebook has sent a lot of reports in a short time". */
  constructor(
    readonly limit: BucketLimit,
    readonly sentence: string,
    readonly maxKeys = maxBuckets,
  ) {
    if (!(limit.burst >= 1 && limit.perHour > 0))
      throw new RangeError("A bucket needs a burst of 1 or more and a rate.");
    this.#perMs = limit.perHour / 3_600_000;
  }

  /** Takes one request from `key`'s bucket and answers 0, or the whole seconds until it has one again. */
  take(key: string, now: number): number {
    const bucket = this.#buckets.get(key);
    const tokens = bucket
      ? Math.min(this.limit.burst, bucket.tokens + Math.max(0, now - bucket.at) * this.#perMs)
      : this.limit.burst;
    // The allowance keeps rounding from refusing a request that waited exactly as long as told.
    const missing = 1 - roundingAllowance - tokens;
    if (missing > 0) return Math.max(1, Math.ceil(missing / this.#perMs / 1000));
    // Re-inserted so the map stays in order of use: the first key is the least recently used.
    this.#buckets.delete(key);
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.#buckets.size > this.maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    return 0;
  }

  /**
   * Takes one request from `key`'s bucket, or refuses this one with 429 and `Retry-After` (RFC 9110
   * §10.2.3, in seconds), which the extension's outbox waits out before it tries again.
   */
  enforce(c: Context, key: string, now: number): void {
    const wait = this.take(key, now);
    if (!wait) return;
    c.header("Retry-After", String(wait));
    throw new ApiError(429, "rate_limited", `${this.sentence} for now; more are accepted in ${inWords(wait)}.`);
  }
}

/**
 * The key for a client address: IPv4 as it is (an IPv4-mapped IPv6 address included), IPv6 by its
 * /64, the block one household or school is given, so that one client cannot step around the limit
 * by changing the low bits. The address comes from `clientAddressReader` (auth/client-address.ts).
 */
export function addressKey(address: string): string {
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped?.[1]) return mapped[1];
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const front = head ? head.split(":") : [];
  const back = tail ? tail.split(":") : [];
  const groups = address.includes("::")
    ? [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill("0"), ...back]
    : front;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
