import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sha256 } from "../../agent/http";
import { enrollmentResponse, errorEnvelope } from "../../shared";
import { createTestAgent, enrollmentToken, type TestAgent } from "../support/agent";

let agent: TestAgent;
beforeEach(async () => {
  agent = await createTestAgent();
});
afterEach(() => agent.close());

describe("POST /v1/enroll", () => {
  it("exchanges the enrollment token for a per-device credential, stored only as a hash", async () => {
    const response = await agent.post("/v1/enroll", {
      enrollmentToken,
      device: { serialNumber: "5CD1234XYZ", directoryDeviceId: "dir-1" },
      extensionVersion: "0.1.0",
    });
    expect(response.status).toBe(201);
    const body = enrollmentResponse.parse(await response.json());
    const row = await agent.store.db.selectFrom("deviceEnrollments").selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ id: body.deviceId, serialNumber: "5CD1234XYZ", directoryDeviceId: "dir-1" });
    expect(row.credentialHash).toBe(sha256(body.credential));
    expect(JSON.stringify(row)).not.toContain(body.credential);
  });

  it("gives every enrollment its own credential", async () => {
    const a = await agent.enroll();
    const b = await agent.enroll();
    expect(a).not.toBe(b);
  });

  it("answers 401 for a wrong token", async () => {
    const response = await agent.post("/v1/enroll", { enrollmentToken: "nope-nope-nope-nope", device: {} });
    expect(response.status).toBe(401);
    expect(errorEnvelope.parse(await response.json()).error.code).toBe("unauthenticated");
  });

  it("answers 400 for a missing token and 415 for a form body", async () => {
    expect((await agent.post("/v1/enroll", { device: {} })).status).toBe(400);
    const form = await agent.app.request("/v1/enroll", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "enrollmentToken=x",
    });
    expect(form.status).toBe(415);
  });
});
