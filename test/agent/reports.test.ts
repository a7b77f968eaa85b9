import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorEnvelope, reportReceipt } from "../../shared";
import { bearer, createTestAgent, sampleReport, type TestAgent } from "../support/agent";

let agent: TestAgent;
let credential: string;
beforeEach(async () => {
  agent = await createTestAgent();
  credential = await agent.enroll();
});
afterEach(() => agent.close());

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = errorEnvelope.parse(await response.json());
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toMatch(/\S+/);
  return body;
}

describe("POST /v1/reports", () => {
  it("files a ticket and answers 201 with its number, routed by category", async () => {
    const report = sampleReport({ category: "lost_stolen" });
    const response = await agent.post("/v1/reports", report, {
      ...bearer(credential),
      "idempotency-key": report.idempotencyKey,
    });
    expect(response.status).toBe(201);
    const { ticket } = reportReceipt.parse(await response.json());
    expect(ticket).toMatchObject({ status: "open", queue: "school_it", tier: 2, category: "lost_stolen" });
    expect(ticket.number).toBeGreaterThan(0);
  });

  it("sends how-to questions to coaches", async () => {
    const response = await agent.post("/v1/reports", sampleReport({ category: "how_to" }), bearer(credential));
    expect(reportReceipt.parse(await response.json()).ticket).toMatchObject({ queue: "coach", tier: 1 });
  });

  it("answers the same ticket for a retried Idempotency-Key, and marks the replay", async () => {
    const report = sampleReport();
    const headers = { ...bearer(credential), "idempotency-key": report.idempotencyKey };
    const first = await agent.post("/v1/reports", report, headers);
    const second = await agent.post("/v1/reports", report, headers);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const a = reportReceipt.parse(await first.json());
    const b = reportReceipt.parse(await second.json());
    expect(b.ticket.number).toBe(a.ticket.number);
    const count = await agent.store.db
      .selectFrom("tickets")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it("refuses a reused key with a different report (422)", async () => {
    const report = sampleReport();
    await agent.post("/v1/reports", report, bearer(credential));
    const changed = { ...report, note: "something else" };
    await expectError(await agent.post("/v1/reports", changed, bearer(credential)), 422, "idempotency_key_reused");
  });

  it("keeps idempotency keys per device", async () => {
    const other = await agent.enroll({ serialNumber: "OTHER123" });
    const report = sampleReport();
    const a = reportReceipt.parse(await (await agent.post("/v1/reports", report, bearer(credential))).json());
    const b = reportReceipt.parse(await (await agent.post("/v1/reports", report, bearer(other))).json());
    expect(a.ticket.number).not.toBe(b.ticket.number);
  });

  it("refuses a header key that differs from the body's", async () => {
    const report = sampleReport();
    const headers = { ...bearer(credential), "idempotency-key": crypto.randomUUID() };
    await expectError(await agent.post("/v1/reports", report, headers), 400, "bad_request");
  });

  it("answers 400 with the envelope and the path of each problem for a body that does not fit", async () => {
    const bad = { ...sampleReport(), category: "exploded", note: "x".repeat(2001) };
    const body = await expectError(await agent.post("/v1/reports", bad, bearer(credential)), 400, "invalid_body");
    const paths = body.error.issues?.map((i) => i.path);
    expect(paths).toContain("category");
    expect(paths).toContain("note");
  });

  it("answers 400 for a body that is not JSON", async () => {
    await expectError(await agent.post("/v1/reports", "{not json", bearer(credential)), 400, "bad_request");
  });

  it("answers 401 without a credential and with an unknown one", async () => {
    await expectError(await agent.post("/v1/reports", sampleReport()), 401, "unauthenticated");
    await expectError(await agent.post("/v1/reports", sampleReport(), bearer("tdd_forged")), 401, "unauthenticated");
  });

  it("answers 415 for other content types", async () => {
    const response = await agent.app.request("/v1/reports", {
      method: "POST",
      headers: { ...bearer(credential), "content-type": "text/plain" },
      body: JSON.stringify(sampleReport()),
    });
    await expectError(response, 415, "unsupported_media_type");
  });

  it("answers 413 for a body over the limit", async () => {
    const small = await createTestAgent(undefined, { MAX_BODY_BYTES: "2048" });
    try {
      const smallCredential = await small.enroll();
      const report = sampleReport({ note: "x".repeat(1900), diagnostics: sampleReport().diagnostics });
      await expectError(await small.post("/v1/reports", report, bearer(smallCredential)), 413, "payload_too_large");
    } finally {
      await small.close();
    }
  });

  it("accepts a screenshot data URL and refuses anything else in its place", async () => {
    const png =
      "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    const ok = await agent.post("/v1/reports", sampleReport({ screenshot: png }), bearer(credential));
    expect(ok.status).toBe(201);
    const bad = sampleReport({ screenshot: "https://evil.example/x.png" });
    await expectError(await agent.post("/v1/reports", bad, bearer(credential)), 400, "invalid_body");
  });

  it("files the ticket under the enrolled device's asset tag, not the one the report names", async () => {
    const enrolled = await agent.enroll({ serialNumber: "5CD1234XYZ", directoryDeviceId: "dev-a1", assetId: "A1" });
    const report = sampleReport();
    const attributes = report.diagnostics.deviceAttributes;
    report.diagnostics.deviceAttributes = { ...attributes, assetId: "X9" };
    const response = await agent.post("/v1/reports", report, bearer(enrolled));
    const { ticket } = reportReceipt.parse(await response.json());
    const row = await agent.store.db
      .selectFrom("tickets")
      .select("assetId")
      .where("number", "=", ticket.number)
      .executeTakeFirstOrThrow();
    expect(row.assetId).toBe("A1");
  });

  it("gives an enrollment made without the device's identity the one its next report carries, and never replaces it", async () => {
    // Enrolled while the enterprise API answered nothing.
    const blank = await agent.enroll({} as { serialNumber: string; directoryDeviceId: string });
    const enrollment = () =>
      agent.store.db
        .selectFrom("deviceEnrollments")
        .select(["directoryDeviceId", "serialNumber", "assetId"])
        .orderBy("enrolledAt", "desc")
        .executeTakeFirstOrThrow();
    expect(await enrollment()).toEqual({ directoryDeviceId: null, serialNumber: null, assetId: null });
    const report = (deviceAttributes: Record<string, string>) => {
      const r = sampleReport();
      r.diagnostics.deviceAttributes = deviceAttributes;
      return r;
    };
    await agent.post(
      "/v1/reports",
      report({ serialNumber: "5CDLATE001", directoryDeviceId: "dev-late", assetId: "L1" }),
      bearer(blank),
    );
    expect(await enrollment()).toEqual({ directoryDeviceId: "dev-late", serialNumber: "5CDLATE001", assetId: "L1" });
    // A later report naming another device changes nothing: the enrollment is that device now.
    const response = await agent.post(
      "/v1/reports",
      report({ serialNumber: "OTHER0001", directoryDeviceId: "dev-other" }),
      bearer(blank),
    );
    const { ticket } = reportReceipt.parse(await response.json());
    expect(await enrollment()).toEqual({ directoryDeviceId: "dev-late", serialNumber: "5CDLATE001", assetId: "L1" });
    const row = await agent.store.db
      .selectFrom("tickets")
      .select(["serialNumber", "directoryDeviceId"])
      .where("number", "=", ticket.number)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ serialNumber: "5CDLATE001", directoryDeviceId: "dev-late" });
  });
});
