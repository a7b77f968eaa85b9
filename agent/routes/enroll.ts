/** POST /v1/enroll: an enrollment token becomes a per-device credential, stored hashed. */
import { randomBytes, randomUUID } from "node:crypto";
import { Hono } from "hono";
import { type EnrollmentResponse, enrollmentRequest } from "../../shared";
import { clientAddressReader } from "../auth/client-address";
import { addressKey, DeviceThrottle } from "../auth/device-throttle";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { parseBody, requireJson, secretEquals, sha256 } from "../http";
import { inventoryMatch } from "../services/devices";
import { insertEnrollment } from "../store/enrollments";

/** Enrollments with a token that is not valid, per client address: a mistyped policy retried, not a flood. */
export const refusedEnrollmentsPerAddress = { burst: 60, perHour: 60 };

export function enrollRoutes(deps: AgentDeps) {
  const clientAddress = clientAddressReader(deps.config.trustedProxies);
  // Per address, not per device: nothing identifies a device before it has a credential. Counted per
  // enrollment token too (one a school), so a flood with one school's token, even behind a proxy
  // every school shares, slows only that school's enrolling.
  const throttle = new DeviceThrottle(
    deps.deviceLimits?.enrollPerAddress ?? {
      burst: deps.config.enrollmentsPerAddressHour,
      perHour: deps.config.enrollmentsPerAddressHour,
    },
    "Many devices on this network have enrolled in a short time",
  );
  // Attempts with a token that is not valid have a small bucket of their own: junk from anywhere
  // never uses up the enrolling of the devices that hold a real token.
  const refused = new DeviceThrottle(
    refusedEnrollmentsPerAddress,
    "Many enrollments from this network had a token that is not valid",
  );
  return new Hono<AgentEnv>().post("/v1/enroll", requireJson, async (c) => {
    const address = addressKey(clientAddress(c));
    const body = await parseBody(c, enrollmentRequest);
    const matched = deps.config.enrollmentTokens.findIndex((entry) => secretEquals(entry.token, body.enrollmentToken));
    const token = deps.config.enrollmentTokens[matched];
    if (!token) {
      refused.enforce(c, address, deps.now().getTime());
      throw new ApiError(401, "unauthenticated", "The enrollment token is not valid for this agent.");
    }
    throttle.enforce(c, `${address} ${matched}`, deps.now().getTime());
    // The token is public, so the device's identity here is only its claim: enrollment records how it
    // compares with the inventory (for the ticket's reader), and whatever acts on a device checks it
    // again at that moment (`verifiedDevice`).
    const match = await inventoryMatch(deps.db, body.device);
    if (match && match !== "known")
      deps.log.warn("enrolling device not in the inventory", { match, serialNumber: body.device.serialNumber });
    const deviceId = randomUUID();
    const credential = `tdd_${randomBytes(32).toString("base64url")}`;
    const at = deps.now().toISOString();
    await insertEnrollment(deps.db, {
      id: deviceId,
      directoryDeviceId: body.device.directoryDeviceId ?? null,
      serialNumber: body.device.serialNumber ?? null,
      assetId: body.device.assetId ?? null,
      credentialHash: sha256(credential),
      extensionVersion: body.extensionVersion ?? null,
      school: token.school ?? null,
      inventoryMatch: match ?? null,
      enrolledAt: at,
      lastSeenAt: at,
    });
    deps.log.info("device enrolled", {
      deviceId,
      serialNumber: body.device.serialNumber,
    });
    return c.json({ deviceId, credential } satisfies EnrollmentResponse, 201);
  });
}
