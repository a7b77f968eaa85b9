import { describe, expect, it } from "vitest";
import { errorEnvelope, staffTicketDetail, staffTicketPage } from "../../shared";
import { bearer, staffToken, type TestAgent } from "../support/agent";
import { type EnrolledAgent, enrolledAgentEach } from "../support/fresh-agent";

let agent: TestAgent;
let credential: string;
let file: EnrolledAgent["file"];
enrolledAgentEach((enrolled) => {
  ({ agent, credential, file } = enrolled);
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
