/**
 * Recording a filter check on SQLite and on a real PostgreSQL (where recordings take turns under an
 * advisory lock): two recordings at once both land, and an OU recorded after another check read it
 * keeps the newer verdict.
 */
import { describe, expect, it } from "vitest";
import type { AuditedOu } from "../../agent/filter/audit";
import { recordCheck } from "../../agent/services/filter-checks";
import type { Store } from "../../agent/store/db";
import { freshStoreEach, storageBackends } from "../support/databases";

const rule = "chrome.users.IncognitoMode.incognitoModeAvailability";

function read(ouPath: string, actual: string, readAt: string): AuditedOu {
  return {
    ouPath,
    ouId: ouPath,
    readAt,
    checks: [
      {
        rule,
        label: "Incognito mode",
        status: actual === "UNAVAILABLE" ? "pass" : "drift",
        expected: "UNAVAILABLE",
        actual,
        setBy: ouPath,
      },
    ],
  };
}

describe.each(storageBackends())("filter check recording on $name", (backend) => {
  let store: Store;
  freshStoreEach(backend, (opened) => {
    store = opened;
  });

  it.each([
    ["the recheck first", true],
    ["the hourly check first", false],
  ])("keeps an OU's newer verdict over an older reading, recorded with %s", async (_, recheckFirst) => {
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 9, minute)).toISOString();
    // The hourly check read both OUs at 09:00 and is recorded at 09:05; a recheck read /A fixed at 09:01.
    const hourly = () =>
      recordCheck(store.db, [read("/A", "AVAILABLE", at(0)), read("/B", "AVAILABLE", at(0))], 1, new Date(at(5)));
    const recheck = () =>
      recordCheck(store.db, [read("/A", "UNAVAILABLE", at(1))], 1, new Date(at(1)), { partial: true });
    if (recheckFirst) {
      await recheck();
      expect((await hourly()).ticketsOpened).toHaveLength(1); // for /B only
    } else {
      await hourly();
      await recheck();
    }
    const state = await store.db.selectFrom("filterState").select(["ouPath", "status"]).orderBy("ouPath").execute();
    expect(state).toEqual([
      { ouPath: "/A", status: "pass" },
      { ouPath: "/B", status: "drift" },
    ]);
  });

  it("records two checks at once", async () => {
    const at = new Date(Date.UTC(2026, 11, 1, 9)).toISOString();
    await Promise.all([
      recordCheck(store.db, [read("/A", "AVAILABLE", at)], 1, new Date(at), { partial: true }),
      recordCheck(store.db, [read("/B", "AVAILABLE", at)], 1, new Date(at), { partial: true }),
    ]);
    expect(await store.db.selectFrom("filterState").select("ouPath").orderBy("ouPath").execute()).toEqual([
      { ouPath: "/A" },
      { ouPath: "/B" },
    ]);
  });
});
