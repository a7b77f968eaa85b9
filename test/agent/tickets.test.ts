import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deviceTicketList, errorEnvelope, reportReceipt, staffTicketDetail, staffTicketPage } from "../../shared";
import { bearer, createTestAgent, sampleReport, staffToken, type TestAgent } from "../support/agent";

let agent: TestAgent;
let credential: string;
beforeEach(async () => {
  agent = await createTestAgent();
  credential = await agent.enroll();
});
afterEach(() => agent.close());

async function file(category: Parameters<typeof sampleReport>[0] = {}, as = credential) {
  const response = await agent.post("/v1/reports", sampleReport(category), bearer(as));
  return reportReceipt.parse(await response.json()).ticket;
}

describe("GET /v1/device/tickets", () => {
  it("lists this device's tickets and no other device's", async () => {
    const mine = await file();
    const other = await agent.enroll({ serialNumber: "OTHER" });
    await file({}, other);
    const response = await agent.get("/v1/device/tickets", bearer(credential));
    expect(response.status).toBe(200);
    const body = deviceTicketList.parse(await response.json());
    expect(body.tickets.map((t) => t.number)).toEqual([mine.number]);
  });

  it("answers 401 without a device credential", async () => {
    expect((await agent.get("/v1/device/tickets")).status).toBe(401);
    expect((await agent.get("/v1/device/tickets", bearer(staffToken))).status).toBe(401);
  });
});

describe("GET /v1/staff/tickets", () => {
  it("pages newest first with a cursor and filters by queue", async () => {
    const numbers: number[] = [];
    for (let i = 0; i < 5; i++) numbers.push((await file({ category: i % 2 ? "how_to" : "screen" })).number);
    const first = staffTicketPage.parse(
      await (await agent.get("/v1/staff/tickets?limit=2", bearer(staffToken))).json(),
    );
    expect(first.tickets.map((t) => t.number)).toEqual([numbers[4], numbers[3]]);
    expect(first.nextCursor).toBeDefined();
    const second = staffTicketPage.parse(
      await (await agent.get(`/v1/staff/tickets?limit=2&cursor=${first.nextCursor}`, bearer(staffToken))).json(),
    );
    expect(second.tickets.map((t) => t.number)).toEqual([numbers[2], numbers[1]]);
    const coach = staffTicketPage.parse(
      await (await agent.get("/v1/staff/tickets?queue=coach", bearer(staffToken))).json(),
    );
    expect(coach.tickets.map((t) => t.number)).toEqual([numbers[3], numbers[1]]);
    expect(coach.nextCursor).toBeUndefined();
  });

  it("answers 400 for a bad filter and 401 for a device credential or none", async () => {
    expect((await agent.get("/v1/staff/tickets?queue=nowhere", bearer(staffToken))).status).toBe(400);
    expect((await agent.get("/v1/staff/tickets?cursor=abc", bearer(staffToken))).status).toBe(400);
    expect((await agent.get("/v1/staff/tickets", bearer(credential))).status).toBe(401);
    expect((await agent.get("/v1/staff/tickets")).status).toBe(401);
  });

  it("shows one ticket with its diagnostics, and 404 for a number that does not exist", async () => {
    const ticket = await file();
    const response = await agent.get(`/v1/staff/tickets/${ticket.number}`, bearer(staffToken));
    const detail = staffTicketDetail.parse(await response.json());
    expect(detail).toMatchObject({
      number: ticket.number,
      serialNumber: "5CD1234XYZ",
      userEmail: "student@example.org",
    });
    expect(detail.diagnostics.cpu?.cores).toBe(2);
    const missing = await agent.get("/v1/staff/tickets/999999", bearer(staffToken));
    expect(missing.status).toBe(404);
    expect(errorEnvelope.parse(await missing.json()).error.code).toBe("not_found");
  });
});

describe("the app", () => {
  it("answers /healthz", async () => {
    expect(await (await agent.get("/healthz")).json()).toEqual({ status: "ok" });
  });

  it("answers unknown routes with the envelope", async () => {
    const response = await agent.get("/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(errorEnvelope.parse(await response.json()).error.code).toBe("not_found");
  });

  it("answers CORS for the extension's origin only", async () => {
    const preflight = (origin: string) =>
      agent.app.request("/v1/reports", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,authorization",
        },
      });
    const ours = await preflight("chrome-extension://hclbedhgmicmhmlakomhbojpgaokbmko");
    expect(ours.headers.get("access-control-allow-origin")).toBe("chrome-extension://hclbedhgmicmhmlakomhbojpgaokbmko");
    const theirs = await preflight("https://evil.example");
    expect(theirs.headers.get("access-control-allow-origin")).toBeNull();
  });
});
