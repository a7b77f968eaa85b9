/** Device and staff authentication for the API. */
import type { MiddlewareHandler } from "hono";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { bearerToken, secretEquals, sha256 } from "../http";
import { findEnrollmentByCredentialHash, touchEnrollment } from "../store/enrollments";
import type { DeviceThrottle } from "./device-throttle";

/**
 * A device's per-device credential from enrollment; sets `enrollment` on the context. Each request
 * then takes one from the enrollment's bucket in `throttle` (the route's endpoint family), before
 * anything is written: a device over its limit costs one read.
 */
export function deviceAuth(deps: AgentDeps, throttle: DeviceThrottle): MiddlewareHandler<AgentEnv> {
  return async function requireDevice(c, next) {
    const credential = bearerToken(c);
    if (!credential)
      throw new ApiError(401, "unauthenticated", "A device credential is required (Authorization: Bearer …).");
    const enrollment = await findEnrollmentByCredentialHash(deps.db, sha256(credential));
    if (!enrollment) throw new ApiError(401, "unauthenticated", "This device credential is not known; enrol again.");
    throttle.enforce(c, enrollment.id, deps.now().getTime());
    c.set("enrollment", enrollment);
    await touchEnrollment(deps.db, enrollment.id, deps.now().toISOString());
    await next();
  };
}

/**
 * Staff API token. The console's sign-in and per-role permissions replace this with sessions; the
 * token stays as the break-glass path for scripts.
 */
export function staffAuth(deps: AgentDeps): MiddlewareHandler<AgentEnv> {
  return async function requireStaff(c, next) {
    const token = bearerToken(c);
    if (!token) throw new ApiError(401, "unauthenticated", "A staff token is required (Authorization: Bearer …).");
    if (!secretEquals(token, deps.config.staffApiToken))
      throw new ApiError(401, "unauthenticated", "The staff token is not valid.");
    await next();
  };
}
