/**
 * The extension's only way to the agent: a thin fetch wrapper typed from the shared schemas.
 * Every answer is validated; a failure says whether retrying can help.
 */
import type { z } from "zod";
import {
  type ComplianceReceipt,
  type ComplianceReport,
  complianceReceipt,
  type DeviceTicketList,
  deviceTicketList,
  type EnrollmentRequest,
  type EnrollmentResponse,
  enrollmentResponse,
  errorEnvelope,
  type ProblemReport,
  type ReportReceipt,
  reportReceipt,
} from "../../shared";

export class AgentError extends Error {
  override name = "AgentError";
  constructor(
    message: string,
    /** HTTP status, or 0 when the agent could not be reached. */
    readonly status: number,
    readonly code?: string,
    /** How long the agent asked to wait before trying again (its `Retry-After`), when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Network failures, timeouts, rate limits and server errors may succeed later; 4xx answers will not. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export interface AgentClientOptions {
  agentUrl: string;
  fetch?: typeof fetch;
  /** For the answer; a request body adds the time it takes to upload at `minUploadBitsPerSecond`. */
  timeoutMs?: number;
}

/**
 * The slowest upload a request is given time for: a crowded school Wi-Fi or a rural hotspot. At
 * 256 kbit/s a report with a full 3 MiB screenshot gets 15 s + ~98 s; a fixed 15 s never let it finish
 * below ~1.7 Mbit/s, so it was retried, and timed out, forever.
 */
export const minUploadBitsPerSecond = 256_000;

/**
 * How long a request may take: `timeoutMs` for the answer, plus the upload of `body` at the floor rate.
 * A timeout past 30 s only helps while the service worker lives: Chrome stops it after 30 s without an
 * extension event or API call, and a fetch does not count, so the courier sends under `keepingAlive`.
 */
export function requestTimeoutMs(timeoutMs: number, body: RequestInit["body"]): number {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body).byteLength : 0;
  return timeoutMs + Math.ceil((bytes * 8 * 1000) / minUploadBitsPerSecond);
}

/**
 * The longest `Retry-After` taken at its word. The agent's own limits ask for minutes at most; a
 * longer wait (a proxy's maintenance page saying "tomorrow") would hold back a report that may be
 * urgent, such as a lost Chromebook, so the outbox tries again after an hour and asks again.
 */
export const maxRetryAfterMs = 60 * 60_000;

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); nothing when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  if (Number.isNaN(ms)) return undefined;
  return Math.min(maxRetryAfterMs, Math.max(0, ms));
}

export function createAgentClient({ agentUrl, fetch: fetchImpl = fetch, timeoutMs = 15_000 }: AgentClientOptions) {
  const base = agentUrl.replace(/\/+$/, "");

  async function request<T>(path: string, schema: z.ZodType<T>, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await fetchImpl(`${base}${path}`, {
        ...init,
        signal: AbortSignal.timeout(requestTimeoutMs(timeoutMs, init.body)),
      });
    } catch (error) {
      throw new AgentError(`Could not reach the agent: ${(error as Error).message}`, 0);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const envelope = errorEnvelope.safeParse(body);
      const message = envelope.success ? envelope.data.error.message : `The agent answered ${response.status}.`;
      throw new AgentError(
        message,
        response.status,
        envelope.success ? envelope.data.error.code : undefined,
        retryAfterMs(response.headers.get("retry-after")),
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new AgentError("The agent's answer was not understood.", 502);
    return parsed.data;
  }

  const json = (credential?: string): HeadersInit => ({
    "content-type": "application/json",
    ...(credential ? { authorization: `Bearer ${credential}` } : {}),
  });

  return {
    enroll: function enroll(body: EnrollmentRequest): Promise<EnrollmentResponse> {
      return request("/v1/enroll", enrollmentResponse, {
        method: "POST",
        headers: json(),
        body: JSON.stringify(body),
      });
    },
    sendReport: function sendReport(credential: string, report: ProblemReport): Promise<ReportReceipt> {
      return request("/v1/reports", reportReceipt, {
        method: "POST",
        headers: {
          ...json(credential),
          "idempotency-key": report.idempotencyKey,
        },
        body: JSON.stringify(report),
      });
    },
    sendCompliance: function sendCompliance(credential: string, report: ComplianceReport): Promise<ComplianceReceipt> {
      return request("/v1/compliance", complianceReceipt, {
        method: "POST",
        headers: json(credential),
        body: JSON.stringify(report),
      });
    },
    myTickets: function myTickets(credential: string): Promise<DeviceTicketList> {
      return request("/v1/device/tickets", deviceTicketList, {
        method: "GET",
        headers: json(credential),
      });
    },
  };
}

export type AgentClient = ReturnType<typeof createAgentClient>;
