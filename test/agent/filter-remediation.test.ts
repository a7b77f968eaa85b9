/**
 * The remediation queue against the sandbox's write quota and failures: 31 restores in a burst are
 * queued and all applied with none refused by Google (the quota's window shortened to 1.5 s here,
 * the client's to match); a Google outage parks a restore and it is applied when Google answers; a
 * worker that died mid-write leaves a claim that lapses, and the restore is applied (once: writes
 * set values). Every applied write is audited and the chain verifies.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { orgUnitsOf } from "../../agent/filter/audit";
import { createGoogleClient, type GoogleClient } from "../../agent/google/client";
import { directoryAdapter } from "../../agent/google/directory";
import { policyAdapter } from "../../agent/google/policy";
import { createLogger } from "../../agent/log";
import { seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";
import { saveBaseline, shippedBaseline } from "../../agent/services/filter-checks";
import {
  type FilterGoogle,
  listRemediations,
  RemediationWorker,
  requestRemediation,
} from "../../agent/services/remediations";
import type { StaffPrincipal } from "../../agent/services/staff-accounts";
import { verifyAuditChain } from "../../agent/store/audit";
import { openStore, type Store } from "../../agent/store/db";

vi.setConfig({ testTimeout: 60_000 });

const windowMs = 1500;
const fast = { maxTries: 10, baseMs: 1, capMs: 5, jitterMs: 1 };
const schools = Array.from({ length: 11 }, (_, i) => `School ${i + 1}`);
let sandbox: RunningSandbox;
let store: Store;
let client: GoogleClient;
let google: FilterGoogle;
const log = createLogger("silent");
const admin = {
  user: { id: "admin-1", displayName: "District Admin" },
  grants: [{ role: "district_admin", school: "*" }],
} as unknown as StaffPrincipal;

beforeAll(async () => {
  sandbox = await startSandbox({
    district: seedDistrict({ devices: 20, schools }),
    policyReadsPerSecond: 0,
    policyWriteWindowMs: windowMs,
  });
});
afterAll(() => sandbox.close());

beforeEach(async () => {
  store = await openStore({ sqliteFile: ":memory:" });
  client = createGoogleClient({
    rootUrl: sandbox.url,
    retry: fast,
    limits: {
      policy: { concurrency: 10, limit: 10_000, windowMs: 1000 },
      // A second of margin: the client counts a write when it starts, the sandbox when it arrives.
      policyWrite: { concurrency: 1, limit: 30, windowMs: windowMs + 1_000 },
    },
  });
  google = { directory: directoryAdapter(client), policy: policyAdapter(client) };
  sandbox.context.faults.clear();
});

const restore = (ouPath: string) =>
  requestRemediation(store.db, google, admin, { kind: "restore", ouPath }, { now: new Date() });

const techdesk = "chrome:hclbedhgmicmhmlakomhbojpgaokbmko";
const idOf = (path: string) =>
  sandbox.context.district.orgUnits.find((o) => o.orgUnitPath === path)?.orgUnitId?.replace(/^id:/, "") ?? "";

/** Sets local values at one OU, as someone in the Admin console might. */
function setLocal(path: string, values: Record<string, Record<string, unknown>>) {
  const district = sandbox.context.district;
  const local = district.policies.get(idOf(path)) ?? new Map<string, Record<string, unknown>>();
  for (const [key, value] of Object.entries(values)) local.set(key, value);
  district.policies.set(idOf(path), local);
}

const localAt = (path: string, key: string) => sandbox.context.district.policies.get(idOf(path))?.get(key);

/** Turns SafeSearch off locally at each OU (as someone in the Admin console might). */
function weaken(paths: string[]) {
  for (const path of paths)
    setLocal(path, { "chrome.users.SafeSearchRestrictedMode": { forceGoogleSafeSearch: false } });
}

const safeSearchAt = (path: string): unknown =>
  localAt(path, "chrome.users.SafeSearchRestrictedMode")?.forceGoogleSafeSearch;

/** Google answers 503 to the next 20 policy writes. */
function failPolicyWrites() {
  sandbox.context.faults.inject({
    match: /orgunits:batchModify$/,
    fault: { kind: "status", status: 503 },
    times: 20,
  });
}

/** As if a worker had claimed the remediation and died: its claim ran out a minute ago. */
async function abandonClaim(id: string) {
  await store.db
    .updateTable("remediations")
    .set({ state: "applying", claimedBy: "dead-worker:1", claimedUntil: new Date(Date.now() - 60_000).toISOString() })
    .where("id", "=", id)
    .execute();
}

/** The shipped baseline plus a district block list at the root. */
async function saveBaselineWithBlocklist(urlBlocklist: string[]) {
  const shipped = shippedBaseline();
  const [root, ...rest] = shipped.rules;
  await saveBaseline(
    store.db,
    admin,
    {
      ...shipped,
      rules: [{ ...root, policies: { ...root?.policies, "chrome.users.UrlBlocking": { urlBlocklist } } }, ...rest],
    },
    { now: new Date() },
  );
}

describe("the remediation queue", () => {
  it("queues 31 restores in a burst and applies them all under the write quota, none refused", async () => {
    const units = (await orgUnitsOf(google.directory)).map((u) => u.path).filter((p) => p.split("/").length === 4);
    const targets = units.slice(0, 31);
    expect(targets).toHaveLength(31);
    weaken(targets);
    for (const path of targets) await restore(path);
    const refusedBefore = sandbox.context.quotaRefusals.writes;
    const worker = new RemediationWorker(store.db, google, log);
    let sawQueue = 0;
    let sawWaiting = 0;
    const watching = setInterval(() => {
      void listRemediations(store.db, admin).then((list) => {
        sawQueue = Math.max(sawQueue, list.filter((r) => r.state === "queued").length);
      });
      sawWaiting = Math.max(sawWaiting, client.policyWritesWaiting);
    }, 20);
    const started = Date.now();
    try {
      expect(await worker.drain(30_000)).toBe(true);
    } finally {
      clearInterval(watching);
    }
    const elapsed = Date.now() - started;
    // The 31st write waited for the window: the queue was visible meanwhile, and Google refused nothing.
    expect(elapsed).toBeGreaterThanOrEqual(windowMs);
    expect(sawQueue).toBeGreaterThan(0);
    expect(sandbox.context.quotaRefusals.writes - refusedBefore).toBe(0);
    const ended = await listRemediations(store.db, admin);
    expect(ended.map((r) => r.state)).toEqual(targets.map(() => "applied"));
    for (const path of targets) expect(safeSearchAt(path), path).toBe(true);
    const applied = await store.db
      .selectFrom("auditLog")
      .select("school")
      .where("action", "=", "filter.restore.applied")
      .execute();
    // One entry per write: the seed's drifted school has Incognito to restore too.
    expect([...new Set(applied.map((a) => a.school))].sort()).toEqual([...targets].sort());
    expect((await verifyAuditChain(store.db)).ok).toBe(true);
    await worker.stop();
  });

  it("parks a restore while Google fails and applies it when Google answers again", async () => {
    const path = "/Schools/School 1/Staff";
    weaken([path]);
    const queued = await restore(path);
    failPolicyWrites();
    const worker = new RemediationWorker(store.db, google, log, { backoffMs: 50 });
    await worker.tick();
    const parked = await store.db
      .selectFrom("remediations")
      .selectAll()
      .where("id", "=", queued.id)
      .executeTakeFirstOrThrow();
    expect(parked).toMatchObject({ state: "queued", attempts: 1 });
    expect(parked.error).toContain("503");
    expect(safeSearchAt(path)).toBe(false);
    sandbox.context.faults.clear();
    expect(await worker.drain(10_000)).toBe(true);
    expect(safeSearchAt(path)).toBe(true);
    const [done] = await listRemediations(store.db, admin);
    expect(done).toMatchObject({ state: "applied", attempts: 2 });
  });

  it("fails a restore Google refuses outright, saying why, and audits the failure", async () => {
    const path = "/Schools/School 3/Loaners";
    weaken([path]);
    const queued = await restore(path);
    // A write Google refuses (a policy it does not know): not retried, not parked.
    await store.db
      .updateTable("remediations")
      .set({
        changes: JSON.stringify([
          { policySchema: "chrome.users.NoSuchPolicy", value: { x: true }, current: {}, label: "Nonsense" },
        ]),
      })
      .where("id", "=", queued.id)
      .execute();
    const worker = new RemediationWorker(store.db, google, log);
    await worker.tick();
    const [failed] = await listRemediations(store.db, admin);
    expect(failed?.state).toBe("failed");
    expect(failed?.error).toContain("400");
    const audit = await store.db.selectFrom("auditLog").select("action").orderBy("seq").execute();
    expect(audit.map((a) => a.action)).toEqual(["filter.restore.requested", "filter.restore.failed"]);
  });

  it("applies a restore whose worker died mid-write once its claim lapses", async () => {
    const path = "/Schools/School 3/Staff";
    weaken([path]);
    const queued = await restore(path);
    await abandonClaim(queued.id);
    const worker = new RemediationWorker(store.db, google, log);
    expect(await worker.drain(10_000)).toBe(true);
    const [done] = await listRemediations(store.db, admin);
    expect(done).toMatchObject({ state: "applied" });
    expect(safeSearchAt(path)).toBe(true);
    const applied = await store.db
      .selectFrom("auditLog")
      .select("action")
      .where("action", "=", "filter.restore.applied")
      .execute();
    expect(applied).toHaveLength(1);
  });

  it("restores a setting and an app policy at one OU: batches differ by additional target keys", async () => {
    const path = "/Schools/School 9/Students";
    setLocal(path, {
      "chrome.users.IncognitoMode": { incognitoModeAvailability: "AVAILABLE" },
      [`chrome.users.apps.InstallType#app_id=${techdesk}`]: { appInstallType: "BLOCKED" },
    });
    const queued = await restore(path);
    expect(queued.writes.map((w) => w.policySchema).sort()).toEqual([
      "chrome.users.IncognitoMode",
      "chrome.users.apps.InstallType",
    ]);
    const worker = new RemediationWorker(store.db, google, log);
    expect(await worker.drain(10_000)).toBe(true);
    const [done] = await listRemediations(store.db, admin);
    expect(done?.error).toBeUndefined();
    expect(done).toMatchObject({ state: "applied", googleCalls: 2 });
    expect(localAt(path, "chrome.users.IncognitoMode")?.incognitoModeAvailability).toBe(
      "INCOGNITO_MODE_AVAILABILITY_ENUM_UNAVAILABLE",
    );
    expect(localAt(path, `chrome.users.apps.InstallType#app_id=${techdesk}`)?.appInstallType).toBe(
      "APP_INSTALL_TYPE_ENUM_FORCED_AND_PIN_TO_TOOLBAR",
    );
  });

  it("keeps a block list entry an admin added while the restore waited for Google", async () => {
    const path = "/Schools/School 10/Students";
    await saveBaselineWithBlocklist(["*.proxysite.example"]);
    setLocal(path, { "chrome.users.UrlBlocking": { urlBlocklist: ["chrome://extensions"] } });
    const queued = await restore(path);
    expect(queued.writes).toEqual([
      expect.objectContaining({
        policySchema: "chrome.users.UrlBlocking",
        value: { urlBlocklist: ["chrome://extensions", "*.proxysite.example"] },
      }),
    ]);
    failPolicyWrites();
    const worker = new RemediationWorker(store.db, google, log, { backoffMs: 50 });
    await worker.tick();
    expect(await store.db.selectFrom("remediations").select("state").executeTakeFirstOrThrow()).toEqual({
      state: "queued",
    });
    // Meanwhile someone blocks one more site in the Admin console.
    setLocal(path, { "chrome.users.UrlBlocking": { urlBlocklist: ["chrome://extensions", "games.example"] } });
    sandbox.context.faults.clear();
    expect(await worker.drain(10_000)).toBe(true);
    const [done] = await listRemediations(store.db, admin);
    expect(done).toMatchObject({ state: "applied" });
    expect([...((localAt(path, "chrome.users.UrlBlocking")?.urlBlocklist as string[]) ?? [])].sort()).toEqual(
      ["*.proxysite.example", "chrome://extensions", "games.example"].sort(),
    );
  });

  it("keeps a block list entry an admin added before a dead worker's claim lapsed", async () => {
    const path = "/Schools/School 11/Students";
    await saveBaselineWithBlocklist(["*.proxysite.example"]);
    setLocal(path, { "chrome.users.UrlBlocking": { urlBlocklist: [] } });
    const queued = await restore(path);
    await abandonClaim(queued.id);
    setLocal(path, { "chrome.users.UrlBlocking": { urlBlocklist: ["games.example"] } });
    const worker = new RemediationWorker(store.db, google, log);
    expect(await worker.drain(10_000)).toBe(true);
    expect([...((localAt(path, "chrome.users.UrlBlocking")?.urlBlocklist as string[]) ?? [])].sort()).toEqual([
      "*.proxysite.example",
      "games.example",
    ]);
    // The audit names what was there when the write went out.
    const applied = await store.db
      .selectFrom("auditLog")
      .select(["before", "after"])
      .where("action", "=", "filter.restore.applied")
      .executeTakeFirstOrThrow();
    expect(JSON.parse(String(applied.before))).toEqual({ urlBlocklist: ["games.example"] });
  });

  it("refuses a restore whose merged block list would exceed Google's 1,000 entries, naming the OU and the count", async () => {
    const path = "/Schools/School 8/Loaners";
    await saveBaselineWithBlocklist(["*.proxysite.example"]);
    const full = Array.from({ length: 1000 }, (_, i) => `site${i}.example`);
    setLocal(path, { "chrome.users.UrlBlocking": { urlBlocklist: full } });
    await expect(restore(path)).rejects.toThrow(
      `The restore of ${path} would make its URL block list 1,001 entries long`,
    );
    expect(await store.db.selectFrom("remediations").selectAll().execute()).toEqual([]);
    expect(localAt(path, "chrome.users.UrlBlocking")?.urlBlocklist).toEqual(full);
  });

  it("fails, without writing, a queued restore whose block list grew past 1,000 entries before it went out", async () => {
    const path = "/Schools/School 7/Loaners";
    await saveBaselineWithBlocklist(["*.proxysite.example"]);
    const sites = Array.from({ length: 999 }, (_, i) => `site${i}.example`);
    setLocal(path, { "chrome.users.UrlBlocking": { urlBlocklist: sites } });
    await restore(path);
    // Meanwhile someone blocks two more sites in the Admin console.
    const grown = [...sites, "games.example", "videos.example"];
    setLocal(path, { "chrome.users.UrlBlocking": { urlBlocklist: grown } });
    const worker = new RemediationWorker(store.db, google, log);
    expect(await worker.drain(10_000)).toBe(true);
    const [done] = await listRemediations(store.db, admin);
    expect(done).toMatchObject({ state: "failed" });
    expect(done?.error).toContain(`${path} would make its URL block list 1,002 entries long`);
    expect(done?.googleCalls).toBeUndefined();
    expect(localAt(path, "chrome.users.UrlBlocking")?.urlBlocklist).toEqual(grown);
  });

  it("refuses a restore of an OU that already matches, and a second one while the first is queued", async () => {
    await expect(restore("/Schools/School 4/Staff")).rejects.toThrow("already matches the baseline");
    weaken(["/Schools/School 4/Staff"]);
    await restore("/Schools/School 4/Staff");
    await expect(restore("/Schools/School 4/Staff")).rejects.toThrow("already queued");
  });
});
