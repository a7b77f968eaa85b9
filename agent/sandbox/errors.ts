/** Google's error envelope, as the Admin SDK and Chrome APIs send it. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

const statusNames: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ALREADY_EXISTS",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

/** Reasons whose status is not the one their HTTP code usually carries. */
const reasonStatuses: Record<string, string> = {
  failedPrecondition: "FAILED_PRECONDITION",
};

export function googleError(
  c: Context,
  code: ContentfulStatusCode,
  reason: string,
  message: string,
  domain = "global",
) {
  return c.json(
    {
      error: {
        code,
        message,
        errors: [{ domain, reason, message }],
        status: reasonStatuses[reason] ?? statusNames[code] ?? "UNKNOWN",
      },
    },
    code,
  );
}
