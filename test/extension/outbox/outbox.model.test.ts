/**
 * The outbox as a model test: random runs of enqueue, flush, network failure, lost answers,
 * service-worker crashes and restarts. Whatever happens, every report that was not dropped for
 * space reaches the agent exactly once, under the key it was made with.
 */
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { Outbox, type OutboxState, type SendOutcome } from "../../../extension/outbox/outbox";
import { outboxItem } from "../../../extension/outbox/storage";
import type { ProblemReport } from "../../../shared";
import { sampleDiagnostics } from "../../support/agent";

afterEach(() => fakeBrowser.reset());

/** An agent that behaves as ours does: one ticket per key, 422 for a key reused with another body. */
class FakeAgent {
  tickets = new Map<string, { number: number; body: string }>();
  reusedKeys = 0;
  online = true;
  /** The next answer is lost after the agent has filed the ticket (timeout, dropped connection). */
  loseNextAnswer = false;
  /** The worker dies after the agent answered and before the outbox saved that. */
  crashAfterNextAnswer = false;

  async receive(report: ProblemReport): Promise<SendOutcome> {
    if (!this.online) throw new TypeError("Failed to fetch");
    const body = JSON.stringify(report);
    let ticket = this.tickets.get(report.idempotencyKey);
    if (ticket && ticket.body !== body) {
      this.reusedKeys += 1;
      return { kind: "rejected", error: "idempotency_key_reused" };
    }
    if (!ticket) {
      ticket = { number: this.tickets.size + 1, body };
      this.tickets.set(report.idempotencyKey, ticket);
    }
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new TypeError("network error: connection reset");
    }
    return { kind: "delivered", receipt: { ticket: { number: ticket.number } as never } };
  }
}

interface World {
  agent: FakeAgent;
  outbox: Outbox;
  clock: number;
  crashArmed: boolean;
  enqueued: string[];
  maxEntries: number;
}

class WorkerCrash extends Error {}

function makeOutbox(world: World): Outbox {
  return new Outbox({
    maxEntries: world.maxEntries,
    now: () => world.clock,
    random: () => 0.5,
    storage: {
      getValue: () => outboxItem.getValue(),
      async setValue(state: OutboxState) {
        if (world.crashArmed) {
          world.crashArmed = false;
          throw new WorkerCrash("service worker killed");
        }
        await outboxItem.setValue(state);
      },
    },
    send: async (report) => {
      const crash = world.agent.crashAfterNextAnswer;
      world.agent.crashAfterNextAnswer = false;
      const outcome = await world.agent.receive(report);
      if (crash) world.crashArmed = true;
      return outcome;
    },
  });
}

type Command = fc.AsyncCommand<object, World>;

const enqueue = fc.string({ maxLength: 40 }).map(
  (note): Command => ({
    check: () => true,
    async run(_, world) {
      const report: ProblemReport = {
        idempotencyKey: randomUUID(),
        category: "screen",
        note: `${world.enqueued.length}:${note}`,
        clientTime: new Date(world.clock).toISOString(),
        diagnostics: sampleDiagnostics(),
      };
      world.enqueued.push(report.idempotencyKey);
      await world.outbox.enqueue(report);
    },
    toString: () => "enqueue",
  }),
);

const flush = fc.constant<Command>({
  check: () => true,
  async run(_, world) {
    try {
      await world.outbox.flush();
    } catch (error) {
      if (!(error instanceof WorkerCrash)) throw error;
      world.outbox = makeOutbox(world); // the worker starts again with only what storage kept
    }
  },
  toString: () => "flush",
});

const toggleNetwork = fc.boolean().map(
  (online): Command => ({
    check: () => true,
    run: async (_, world) => {
      world.agent.online = online;
    },
    toString: () => (online ? "network up" : "network down"),
  }),
);

const loseAnswer = fc.constant<Command>({
  check: () => true,
  run: async (_, world) => {
    world.agent.loseNextAnswer = true;
  },
  toString: () => "lose next answer",
});

const crashWorker = fc.constant<Command>({
  check: () => true,
  run: async (_, world) => {
    world.agent.crashAfterNextAnswer = true;
  },
  toString: () => "crash after next answer",
});

const restart = fc.constant<Command>({
  check: () => true,
  run: async (_, world) => {
    world.outbox = makeOutbox(world);
  },
  toString: () => "restart worker",
});

const passTime = fc.integer({ min: 1_000, max: 40 * 60_000 }).map(
  (ms): Command => ({
    check: () => true,
    run: async (_, world) => {
      world.clock += ms;
    },
    toString: () => `pass ${ms} ms`,
  }),
);

describe("outbox (model test)", () => {
  it("delivers every report exactly once whatever the network and the worker do", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.commands([enqueue, flush, toggleNetwork, loseAnswer, crashWorker, restart, passTime], { maxCommands: 60 }),
        fc.integer({ min: 3, max: 12 }),
        async (commands, maxEntries) => {
          fakeBrowser.reset();
          const world = {
            agent: new FakeAgent(),
            clock: 1_700_000_000_000,
            crashArmed: false,
            enqueued: [],
            maxEntries,
          } as unknown as World;
          world.outbox = makeOutbox(world);
          await fc.asyncModelRun(() => ({ model: {}, real: world }), commands);

          // Then the network comes back and time passes: the outbox drains by itself.
          world.agent.online = true;
          world.agent.loseNextAnswer = false;
          world.agent.crashAfterNextAnswer = false;
          world.crashArmed = false;
          for (let round = 0; round < 20; round++) {
            world.clock += 31 * 60_000;
            const result = await world.outbox.flush();
            if (result.pending === 0) break;
          }

          const state = await world.outbox.status();
          expect(state.entries).toEqual([]);
          expect(world.agent.reusedKeys).toBe(0);
          // Dropped reports are the oldest ones; all others reached the agent, once each.
          const kept = world.enqueued.slice(state.droppedCount);
          for (const key of kept) expect(world.agent.tickets.has(key)).toBe(true);
          // One ticket per report: no report ever travelled under two keys.
          const notes = [...world.agent.tickets.values()].map((t) => (JSON.parse(t.body) as ProblemReport).note);
          expect(new Set(notes).size).toBe(notes.length);
          // The receipts the outbox kept name the agent's ticket for that key.
          for (const receipt of state.delivered) {
            expect(world.agent.tickets.get(receipt.idempotencyKey)?.number).toBe(receipt.ticketNumber);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("outbox", () => {
  const report = (note: string): ProblemReport => ({
    idempotencyKey: randomUUID(),
    category: "slow",
    note,
    clientTime: new Date().toISOString(),
    diagnostics: { warnings: [] },
  });

  it("drops the oldest report past its size and counts it", async () => {
    const outbox = new Outbox({
      storage: outboxItem,
      send: async () => ({ kind: "retry", error: "offline" }),
      maxEntries: 2,
    });
    for (const note of ["a", "b", "c"]) await outbox.enqueue(report(note));
    const state = await outbox.status();
    expect(state.entries.map((e) => e.report.note)).toEqual(["b", "c"]);
    expect(state.droppedCount).toBe(1);
  });

  it("backs off exponentially with jitter, capped, and honours Retry-After", async () => {
    let now = 0;
    let retryAfterMs: number | undefined;
    const outbox = new Outbox({
      storage: outboxItem,
      send: async () => ({ kind: "retry", error: "503", retryAfterMs }),
      now: () => now,
      random: () => 1,
      baseDelayMs: 30_000,
      maxDelayMs: 120_000,
    });
    await outbox.enqueue(report("x"));
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { nextAttemptAt = 0 } = await outbox.flush();
      waits.push(nextAttemptAt - now);
      now = nextAttemptAt;
    }
    expect(waits).toEqual([30_000, 60_000, 120_000, 120_000, 120_000]);
    retryAfterMs = 600_000;
    const { nextAttemptAt = 0 } = await outbox.flush();
    expect(nextAttemptAt - now).toBe(600_000);
    expect(outbox.backoffMs(1)).toBeGreaterThanOrEqual(15_000);
  });

  it("keeps a refused report out of retries until discarded, and never deletes it otherwise", async () => {
    const outbox = new Outbox({
      storage: outboxItem,
      send: async () => ({ kind: "rejected", error: "invalid_body (400)" }),
    });
    await outbox.enqueue(report("bad"));
    expect((await outbox.flush()).pending).toBe(0);
    expect((await outbox.status()).entries).toHaveLength(1);
    expect(await outbox.discardRejected()).toBe(1);
    expect((await outbox.status()).entries).toHaveLength(0);
  });

  it("ignores a second enqueue of the same report (a double click)", async () => {
    const outbox = new Outbox({ storage: outboxItem, send: async () => ({ kind: "retry", error: "offline" }) });
    const r = report("twice");
    await Promise.all([outbox.enqueue(r), outbox.enqueue(r)]);
    expect((await outbox.status()).entries).toHaveLength(1);
  });
});
