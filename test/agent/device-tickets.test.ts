import { describe, expect, it } from "vitest";
import { deviceTicketList } from "../../shared";
import { bearer, staffToken, type TestAgent } from "../support/agent";
import { type EnrolledAgent, enrolledAgentEach } from "../support/fresh-agent";

let agent: TestAgent;
let credential: string;
let file: EnrolledAgent["file"];
enrolledAgentEach((enrolled) => {
  ({ agent, credential, file } = enrolled);
});

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
