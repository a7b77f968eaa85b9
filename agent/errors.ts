/** The one error type routes throw, and the envelope every error leaves in. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode, ErrorEnvelope } from "../shared";
import type { Logger } from "./log";

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(status, { message });
  }
}

function envelope(c: Context, code: ErrorCode, message: string, issues?: ApiError["issues"]): ErrorEnvelope {
  return {
    error: {
      code,
      message,
      requestId: c.get("requestId") ?? "unknown",
      ...(issues ? { issues } : {}),
    },
  };
}

const codeForStatus: Partial<Record<number, ErrorCode>> = {
  400: "bad_request",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

export function errorHandler(log: Logger) {
  return function onError(error: Error, c: Context) {
    if (error instanceof ApiError) {
      return c.json(envelope(c, error.code, error.message, error.issues), error.status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      const code = codeForStatus[error.status] ?? "bad_request";
      return c.json(envelope(c, code, error.message || "The request could not be handled."), error.status);
    }
    log.error("request failed", {
      requestId: c.get("requestId"),
      path: c.req.path,
      error: error.stack ?? String(error),
    });
    // 5xx messages stay generic: details are in the log under the request id.
    return c.json(
      envelope(c, "internal", "Something went wrong on the agent. Quote the request id to your IT team."),
      500,
    );
  };
}

export function notFoundHandler(c: Context) {
  return c.json(envelope(c, "not_found", `No route for ${c.req.method} ${c.req.path}.`), 404);
}
