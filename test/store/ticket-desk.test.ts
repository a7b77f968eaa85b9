/**
 * Two staff working the same ticket at the same moment, on SQLite and on a real PostgreSQL server:
 * exactly one change wins, the other is told the ticket changed, and the ticket agrees with its timeline.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { consoleTicketDetail, errorEnvelope } from "../../shared";
import { createTestAgent, type TestAgent } from "../support/agent";
import { freshDatabaseEach, storageBackends } from "../support/databases";
import { type District, seedDistrict } from "../support/district";
import { type SignedIn, signIn } from "../support/staff";

/**
 * While set, each ticket read waits for the others: both actions then decide from the same ticket
 * before either writes, the race the desk must survive, on every run rather than by luck.
 */
const together = vi.hoisted(() => ({ gate: undefined as undefined | { arrived: () => Promise<void> } }));

vi.mock("../../agent/store/tickets", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../agent/store/tickets")>();
  return {
    ...original,
    findTicket: async (...args: Parameters<typeof original.findTicket>) => {
      const row = await original.findTicket(...args);
      await together.gate?.arrived();
      return row;
    },
  };
});

/** Runs `actions` with their ticket reads held until all of them have read. */
async function atOnce(actions: (() => Promise<Response>)[]): Promise<Response[]> {
  let arrived = 0;
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  together.gate = {
    arrived: () => {
      arrived += 1;
      if (arrived >= actions.length) open();
      return opened;
    },
  };
  try {
    return await Promise.all(actions.map((action) => action()));
  } finally {
    together.gate = undefined;
  }
}

describe.each(storageBackends())("the ticket desk under concurrent changes on $name", (backend) => {
  let agent: TestAgent;
  let district: District;
  let lead: SignedIn;
  let tech: SignedIn;
  let ids: { lead: string; tech: string };

  freshDatabaseEach(backend, async (location) => {
    agent = await createTestAgent(location);
    return () => agent.close();
  });
  beforeEach(async () => {
    district = await seedDistrict(agent);
    lead = await signIn(agent, district.staffEmail("school_it_lead"));
    tech = await signIn(agent, district.staffEmail("student_tech_team"));
    const users = await agent.store.db.selectFrom("staffUsers").select(["id", "email"]).execute();
    const idOf = (email: string) => users.find((u) => u.email === email)?.id ?? "";
    ids = {
      lead: idOf(district.staffEmail("school_it_lead")),
      tech: idOf(district.staffEmail("student_tech_team")),
    };
  });

  const post = (who: SignedIn, path: string, body: unknown) => who.request(path, { method: "POST", body });
  const detailOf = async (number: number) =>
    consoleTicketDetail.parse(await (await lead.request(`/api/tickets/${number}`)).json());

  /** Exactly one of two answers is 204, the other a 409 that says what happened; answers the winner's index. */
  async function oneWins(number: number, answers: Response[]): Promise<number> {
    expect(answers.map((r) => r.status).sort()).toEqual([204, 409]);
    const loser = answers.find((r) => r.status === 409) as Response;
    expect(errorEnvelope.parse(await loser.json()).error.message).toBe(
      `Ticket #${number} changed while you were working on it. Reload it to see the change.`,
    );
    return answers.findIndex((r) => r.status === 204);
  }

  it("lets only one of a claim and a resolve through, and the status matches the timeline", async () => {
    const number = await district.file("lincoln");
    const answers = await atOnce([
      () => post(tech, `/api/tickets/${number}/assign`, { assigneeId: ids.tech }),
      () => post(lead, `/api/tickets/${number}/resolve`, { resolution: "Reseated the battery" }),
    ]);
    const winner = await oneWins(number, answers);
    const detail = await detailOf(number);
    const kinds = detail.events.map((e) => e.kind);
    if (winner === 0) {
      expect(detail).toMatchObject({ status: "in_progress", assignee: { id: ids.tech } });
      expect(kinds).toEqual(["created", "assigned"]);
    } else {
      expect(detail.status).toBe("resolved");
      expect(detail.assignee).toBeUndefined();
      expect(kinds).toEqual(["created", "resolved"]);
    }
  });

  it("gives a ticket to only one of two people claiming it at once", async () => {
    const number = await district.file("lincoln");
    const claimers = [ids.tech, ids.lead];
    const answers = await atOnce([
      () => post(tech, `/api/tickets/${number}/assign`, { assigneeId: ids.tech }),
      () => post(lead, `/api/tickets/${number}/assign`, { assigneeId: ids.lead }),
    ]);
    const winner = await oneWins(number, answers);
    const detail = await detailOf(number);
    expect(detail.assignee?.id).toBe(claimers[winner]);
    expect(detail.events.filter((e) => e.kind === "assigned").map((e) => e.detail.toId)).toEqual([claimers[winner]]);
  });

  it("resolves a ticket once when two people resolve it at once", async () => {
    const number = await district.file("lincoln");
    const answers = await atOnce([
      () => post(tech, `/api/tickets/${number}/resolve`, { resolution: "Restarted it" }),
      () => post(lead, `/api/tickets/${number}/resolve`, { resolution: "Powerwashed it" }),
    ]);
    await oneWins(number, answers);
    const detail = await detailOf(number);
    expect(detail.status).toBe("resolved");
    expect(detail.events.filter((e) => e.kind === "resolved")).toHaveLength(1);
  });

  it("moves a ticket once when two people move it at once", async () => {
    const number = await district.file("lincoln");
    const answers = await atOnce([
      () => post(tech, `/api/tickets/${number}/escalate`, { queue: "school_it", tier: 2, reason: "Needs a part" }),
      () => post(lead, `/api/tickets/${number}/escalate`, { queue: "vendor", tier: 4, reason: "Warranty claim" }),
    ]);
    const winner = await oneWins(number, answers);
    const detail = await detailOf(number);
    expect(detail.queue).toBe(winner === 0 ? "school_it" : "vendor");
    expect(detail.events.filter((e) => e.kind === "escalated")).toHaveLength(1);
  });
});
