/** Request helpers shared by routes: JSON-only bodies, zod validation, credentials and hashing. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors";

/** State-changing routes take JSON only; anything else is 415 before the body is read. */
export const requireJson: MiddlewareHandler = async function requireJson(c, next) {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "Send the body as application/json.");
  }
  await next();
};

export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError(400, "bad_request", "The body is not valid JSON.");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 20)
      .map((i) => ({ path: i.path.join(".") || "(body)", message: i.message }));
    throw new ApiError(
      400,
      "invalid_body",
      `The body does not match the expected shape: ${issues[0]?.path} ${issues[0]?.message}`,
      issues,
    );
  }
  return parsed.data;
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.join("."),
      message: i.message,
    }));
    throw new ApiError(400, "bad_request", `Bad query parameter ${issues[0]?.path}: ${issues[0]?.message}`, issues);
  }
  return parsed.data;
}

export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** Compares secrets in constant time (by their hashes, so lengths need not match). */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}
