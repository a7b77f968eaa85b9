/** The overnight lockdown: devices still missing and loaners overdue past the grace period are disabled. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockdownCandidates, lockdownJob } from "../../agent/jobs/lockdown-job";
import { JobRunner } from "../../agent/jobs/runner";
import { createLogger } from "../../agent/log";
import { markMissing, systemActor } from "../../agent/services/device-actions";
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
});
