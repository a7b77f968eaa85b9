/** Enrollment: the managed enrollment token is exchanged once for a per-device credential. */
import { z } from "zod";
import { deviceAttributes } from "./diagnostics";

export const enrollmentRequest = z.object({
  /** From managed storage. Visible to device users, so it identifies a district; it is no secret. */
  enrollmentToken: z.string().min(1).max(256),
  device: deviceAttributes,
  extensionVersion: z.string().max(32).optional(),
});
export type EnrollmentRequest = z.infer<typeof enrollmentRequest>;

export const enrollmentResponse = z.object({
  deviceId: z.string(),
  /** Sent as `Authorization: Bearer <credential>`; the agent keeps only its hash. */
  credential: z.string(),
});
export type EnrollmentResponse = z.infer<typeof enrollmentResponse>;
