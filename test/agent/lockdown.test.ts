/** The overnight lockdown: devices still missing and loaners overdue past the grace period are disabled. */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockdownCandidates, lockdownJob, runLockdown } from "../../agent/jobs/lockdown-job";
import { JobRunner } from "../../agent/jobs/runner";
import { createLogger } from "../../agent/log";
import { markMissing, recordActions, systemActor } from "../../agent/services/device-actions";
import { overdueLoanerReason } from "../../agent/services/loans";
import { createGoogleDistrict, type GoogleDistrict } from "../support/google-district";
import { signIn } from "../support/staff";

let g: GoogleDistrict;
beforeAll(async () => {
  g = await createGoogleDistrict();
}, 60_000);
afterAll(() => g.agent.close());

const hours = (n: number) => new Date(Date.now() + n * 3_600_000).toISOString();

async function row(deviceId: string) {
  return g.agent.store.db.selectFrom("devices").selectAll().where("deviceId", "=", deviceId).executeTakeFirstOrThrow();
}

async function lend(deviceId: string, dueAt: string, returnedAt: string | null = null) {
  await g.agent.store.db
    .insertInto("loans")
    .values({ deviceId, userEmail: "kid@example.org", lentAt: hours(-72), dueAt, returnedAt, lentByName: "Pat" })
    .execute();
}

describe("overnight lockdown", () => {
  it("disables what nobody handled, leaves the rest, records the run and tells the IT lead", async () => {
    const missing = await g.takeDevice();
    const missingElsewhere = await g.takeDevice("washington");
    const overdue = await g.takeDevice();
    const withinGrace = await g.takeDevice();
    const returned = await g.takeDevice();
    const now = () => new Date();
    for (const d of [missing, missingElsewhere])
      await markMissing(
        g.agent.store.db,
        systemActor,
        await row(d.deviceId),
        { reason: "Not back after the trip" },
        { now: now() },
      );
    await lend(overdue.deviceId, hours(-30));
    await lend(withinGrace.deviceId, hours(-2));
    await lend(returned.deviceId, hours(-48), hours(-40));

    const candidates = await lockdownCandidates(g.agent.store.db, now(), 24);
    expect(candidates.missing.map((d) => d.deviceId).sort()).toEqual(
      [missing.deviceId, missingElsewhere.deviceId].sort(),
    );
    expect(candidates.overdue.map((d) => d.deviceId)).toEqual([overdue.deviceId]);

    const worker = g.agent.actions;
    if (!worker) throw new Error("no worker");
    const config = { ...g.agent.config, jobs: { ...g.agent.config.jobs, loanerGraceHours: 24 } };
    const runner = new JobRunner(
      g.agent.store.db,
      [lockdownJob(config, g.agent.store.db, worker, now)],
      createLogger("silent"),
    );
    const outcome = await runner.run("overnight-lockdown", "schedule", "test-slot");
    expect(outcome).toMatchObject({ ran: true, status: "succeeded" });

    for (const d of [missing, missingElsewhere, overdue]) expect(g.googleStatus(d.deviceId)).toBe("DISABLED");
    for (const d of [withinGrace, returned]) expect(g.googleStatus(d.deviceId)).toBe("ACTIVE");
    const run = await g.agent.store.db
      .selectFrom("jobRuns")
      .selectAll()
      .where("job", "=", "overnight-lockdown")
      .executeTakeFirstOrThrow();
    expect(JSON.parse(run.detail)).toMatchObject({
      missing: 2,
      overdueLoans: 1,
      requested: 3,
      confirmed: 3,
      failed: 0,
    });
    const audit = await g.agent.store.db
      .selectFrom("auditLog")
      .selectAll()
      .where("action", "=", "device.disable.confirmed")
      .where("deviceId", "=", overdue.deviceId)
      .executeTakeFirstOrThrow();
    expect(audit.actorName).toBe(systemActor.name);
    expect(audit.reason).toContain("Loaner overdue");

    const lead = await signIn(g.agent, g.district.staffEmail("school_it_lead"));
    const bell = (await (await lead.request("/api/notifications")).json()) as {
      notifications: { title: string; body: string }[];
    };
    const lockdown = bell.notifications.find((n) => n.title.startsWith("Overnight lockdown"));
    expect(lockdown?.title).toBe("Overnight lockdown disabled 2 devices");
    expect(lockdown?.body).toContain(missing.serialNumber);
    expect(lockdown?.body).not.toContain(missingElsewhere.serialNumber);

    // A second run the same night finds nothing left to do.
    const again = await runner.run("overnight-lockdown", "manual");
    expect(again).toMatchObject({ ran: true, status: "succeeded" });
    const second = await g.agent.store.db
      .selectFrom("jobRuns")
      .selectAll()
      .where("job", "=", "overnight-lockdown")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(JSON.parse(second.detail)).toMatchObject({ requested: 0 });
  });

  it("does not disable a loaner returned while its overdue disable waited for Google", async () => {
    const loaner = await g.takeDevice();
    const disabledByHand = await g.takeDevice();
    await lend(loaner.deviceId, hours(-30));
    await lend(disabledByHand.deviceId, hours(-30));
    const now = new Date();
    const { overdue } = await lockdownCandidates(g.agent.store.db, now, 24);
    const overdueLoaner = overdue.find((d) => d.deviceId === loaner.deviceId);
    if (!overdueLoaner) throw new Error("the loaner is not overdue");
    // The lockdown asked, Google was failing, and the disable was parked for later.
    const [parked] = await recordActions(
      g.agent.store.db,
      systemActor,
      [
        {
          device: overdueLoaner,
          kind: "disable",
          reason: overdueLoanerReason(overdueLoaner.borrower, overdueLoaner.dueAt),
        },
      ],
      { now },
    );
    // An IT lead's own disable of a loaner is theirs to cancel, not the return's.
    const [byHand] = await recordActions(
      g.agent.store.db,
      { id: "lead-1", name: "Pat Lead" },
      [{ device: await row(disabledByHand.deviceId), kind: "disable", reason: "Cracked screen, keep it off" }],
      { now },
    );
    if (!parked || !byHand) throw new Error("no action recorded");
    await g.agent.store.db
      .updateTable("deviceActions")
      .set({ nextAttemptAt: hours(2), error: "Google is failing" })
      .where("id", "in", [parked.id, byHand.id])
      .execute();

    const lead = await signIn(g.agent, g.district.staffEmail("school_it_lead"));
    for (const d of [loaner, disabledByHand])
      expect((await lead.request(`/api/devices/${d.deviceId}/return`, { method: "POST", body: {} })).status).toBe(200);

    const actions = await g.agent.store.db
      .selectFrom("deviceActions")
      .selectAll()
      .where("id", "in", [parked.id, byHand.id])
      .execute();
    expect(actions.find((a) => a.id === parked.id)).toMatchObject({
      state: "failed",
      error: "Cancelled before it was sent: the loaner was returned.",
    });
    expect(actions.find((a) => a.id === byHand.id)?.state).toBe("requested");
    const cancelled = await g.agent.store.db
      .selectFrom("auditLog")
      .selectAll()
      .where("action", "=", "device.disable.cancelled")
      .where("deviceId", "=", loaner.deviceId)
      .executeTakeFirstOrThrow();
    expect(cancelled.reason).toBe("the loaner was returned");
    expect(JSON.parse(cancelled.after ?? "null")).toEqual({ actionId: parked.id, state: "failed" });
    // Google answers again: the IT lead's disable goes out, the returned loaner stays active.
    await g.agent.store.db
      .updateTable("deviceActions")
      .set({ nextAttemptAt: now.toISOString() })
      .where("id", "=", byHand.id)
      .execute();
    expect(await g.agent.actions?.drain(10_000)).toBe(true);
    expect(g.googleStatus(disabledByHand.deviceId)).toBe("DISABLED");
    expect(g.googleStatus(loaner.deviceId)).toBe("ACTIVE");
  });

  it("asks once for a loaner an older database holds two open loans for, and disables the other loaners", async () => {
    // Lent twice at the same instant, as could happen before migration 0011 enforced one open loan.
    await sql`drop index if exists loans_one_open`.execute(g.agent.store.db);
    const lentTwice = await g.takeDevice();
    const lentOnce = await g.takeDevice();
    await lend(lentTwice.deviceId, hours(-30));
    await lend(lentTwice.deviceId, hours(-29));
    await lend(lentOnce.deviceId, hours(-30));
    const worker = g.agent.actions;
    if (!worker) throw new Error("no worker");
    try {
      const { overdue } = await lockdownCandidates(g.agent.store.db, new Date(), 24);
      expect(overdue.map((d) => d.deviceId).sort()).toEqual([lentTwice.deviceId, lentOnce.deviceId].sort());
      const result = await runLockdown(g.agent.store.db, worker, { now: () => new Date(), graceHours: 24 });
      expect(result).toMatchObject({ overdueLoans: 2, requested: 2, confirmed: 2 });
      for (const d of [lentTwice, lentOnce]) expect(g.googleStatus(d.deviceId)).toBe("DISABLED");
      const asked = await g.agent.store.db
        .selectFrom("deviceActions")
        .select("id")
        .where("deviceId", "=", lentTwice.deviceId)
        .execute();
      expect(asked).toHaveLength(1);
    } finally {
      await g.agent.store.db
        .updateTable("loans")
        .set({ returnedAt: hours(0) })
        .where("returnedAt", "is", null)
        .execute();
      await sql`create unique index if not exists loans_one_open on loans (device_id) where returned_at is null`.execute(
        g.agent.store.db,
      );
    }
  });
});
