/** POST /v1/enroll: an enrollment token becomes a per-device credential, stored hashed. */
import { randomBytes, randomUUID } from "node:crypto";
import { Hono } from "hono";
import { type EnrollmentResponse, enrollmentRequest } from "../../shared";
import { clientAddress, DeviceThrottle } from "../auth/device-throttle";
import type { AgentDeps, AgentEnv } from "../context";
import { ApiError } from "../errors";
import { parseBody, requireJson, secretEquals, sha256 } from "../http";
import { inventoryMatch } from "../services/devices";
import { insertEnrollment } from "../store/enrollments";

export function enrollRoutes(deps: AgentDeps) {
  // Per address, not per device: nothing identifies a device before it has a credential. Counted
  // before the body is read, for every answer, so a flood costs no database work.
  const throttle = new DeviceThrottle(
    deps.deviceLimits?.enrollPerAddress ?? {
      burst: deps.config.enrollmentsPerAddressHour,
      perHour: deps.config.enrollmentsPerAddressHour,
    },
    "Many devices on this network have enrolled in a short time",
  );
  return new Hono<AgentEnv>().post("/v1/enroll", requireJson, async (c) => {
    throttle.enforce(c, clientAddress(c), deps.now().getTime());
    const body = await parseBody(c, enrollmentRequest);
    const matched = deps.config.enrollmentTokens.find((entry) => secretEquals(entry.token, body.enrollmentToken));
    if (!matched) throw new ApiError(401, "unauthenticated", "The enrollment token is not valid for this agent.");
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
      school: matched.school ?? null,
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
