/**
 * Device actions on SQLite and PostgreSQL: two workers (as two agent replicas would) share one
 * database's queue and every disable reaches Google exactly once, with one confirmation each.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGoogleClient } from "../../agent/google/client";
import { type DirectoryAdapter, directoryAdapter } from "../../agent/google/directory";
import { createLogger } from "../../agent/log";
import { seedDistrict } from "../../agent/sandbox/seed";
import { type RunningSandbox, startSandbox } from "../../agent/sandbox/server";
import { ActionWorker } from "../../agent/services/action-worker";
import { recordActions } from "../../agent/services/device-actions";
import { fullSync } from "../../agent/services/inventory-sync";
import { verifyAuditChain } from "../../agent/store/audit";
import type { Store } from "../../agent/store/db";
import { freshStoreEach, storageBackends } from "../support/databases";

const fast = { maxTries: 10, baseMs: 1, capMs: 5, jitterMs: 1 };
let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ district: seedDistrict({ seed: 9, devices: 300 }), behaviour: { latencyMs: 5 } });
});
afterAll(() => sandbox.close());

describe.each(storageBackends())("device actions on $name", (backend) => {
  let store: Store;
  freshStoreEach(backend, (opened) => {
    store = opened;
  });
  beforeEach(async () => {
    await fullSync(store.db, directoryAdapter(createGoogleClient({ rootUrl: sandbox.url, retry: fast })));
  });

  it("records one open action when the same disable is asked for at the same instant", async () => {
    const [device] = await store.db.selectFrom("devices").selectAll().where("status", "=", "ACTIVE").limit(1).execute();
    if (!device) throw new Error("no device");
    const ask = () =>
      recordActions(store.db, { id: "u1", name: "Pat Lead" }, [{ device, kind: "disable", reason: "Lost" }], {
        now: new Date(),
      });
    const answers = await Promise.all([ask(), ask(), ask()]);
    expect(new Set(answers.map(([a]) => a?.id)).size).toBe(1);
    const rows = await store.db.selectFrom("deviceActions").selectAll().execute();
    expect(rows).toHaveLength(1);
  });

  it("lets two workers share the queue: each disable is sent once and confirmed once", async () => {
    const devices = (await store.db.selectFrom("devices").selectAll().orderBy("deviceId").execute())
      .filter((d) => sandbox.context.district.devices.get(d.deviceId)?.status === "ACTIVE")
      .slice(0, 70);
    await recordActions(
      store.db,
      { id: "u1", name: "Pat Lead" },
      devices.map((device) => ({ device, kind: "disable" as const, reason: "Cart stolen" })),
      { now: new Date() },
    );
    const sent: string[] = [];
    const worker = (holder: string) => {
      const real = directoryAdapter(createGoogleClient({ rootUrl: sandbox.url, retry: fast }));
      const counting: DirectoryAdapter = {
        ...real,
        changeStatus: (ids, ...rest) => {
          sent.push(...ids);
          return real.changeStatus(ids, ...rest);
        },
      };
      return new ActionWorker(store.db, counting, createLogger("silent"), { holder });
    };
    const a = worker("a");
    const b = worker("b");
    await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    expect(await a.drain(10_000)).toBe(true);
    expect(sent.sort()).toEqual(devices.map((d) => d.deviceId).sort());
    const confirmed = await store.db
      .selectFrom("auditLog")
      .select("deviceId")
      .where("action", "=", "device.disable.confirmed")
      .execute();
    expect(confirmed).toHaveLength(70);
    expect(await verifyAuditChain(store.db)).toEqual({ ok: true, entries: 140 });
    for (const d of devices) expect(sandbox.context.district.devices.get(d.deviceId)?.status).toBe("DISABLED");
  });
});
