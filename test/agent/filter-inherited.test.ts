/**
 * Drift inherited from a parent OU is one problem where it is set: a weakened setting at the root,
 * in effect at every OU below it, opens one ticket at the root for the OU that must change, and every
 * OU where it is in effect points to that ticket, which closes once none of them drifts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditedOu } from "../../agent/filter/audit";
import { recordCheck } from "../../agent/services/filter-checks";
import { openStore, type Store } from "../../agent/store/db";

let store: Store;
beforeEach(async () => {
  store = await openStore({ sqliteFile: ":memory:" });
});
afterEach(() => store.close());

const rule = "chrome.users.IncognitoMode.incognitoModeAvailability";
const ous = ["/", "/Schools", "/Schools/A", "/Schools/B"];

/** Every OU's Incognito check, inherited from the root with `actual`. */
function audit(actual: string, setAt = "/"): AuditedOu[] {
  return ous.map((ouPath, i) => ({
    ouPath,
    ouId: `ou${i}`,
    checks: [
      {
        rule,
        label: "Incognito mode: incognitoModeAvailability",
        status: actual === "UNAVAILABLE" ? "pass" : "drift",
        expected: "UNAVAILABLE",
        actual,
        setById: "ou0",
        setBy: setAt,
      },
    ],
  }));
}

const tickets = () => store.db.selectFrom("tickets").selectAll().orderBy("number").execute();

describe("drift inherited from a parent OU", () => {
  it("opens one ticket where it is set, and the OUs below point to it", async () => {
    const summary = await recordCheck(store.db, audit("AVAILABLE"), 1, new Date());
    expect(summary.ticketsOpened).toHaveLength(1);
    const [ticket] = await tickets();
    expect(ticket).toMatchObject({ school: "/", status: "open" });
    expect(ticket?.note).toContain("/Schools/A");
    const state = await store.db.selectFrom("filterState").select(["ouPath", "ticketNumber"]).execute();
    expect(state.map((s) => s.ticketNumber)).toEqual(ous.map(() => ticket?.number));
    expect(await store.db.selectFrom("notifications").selectAll().execute()).toHaveLength(1);

    // A second check, and a partial one of a child, open nothing new.
    expect((await recordCheck(store.db, audit("AVAILABLE"), 1, new Date())).ticketsOpened).toEqual([]);
    const partial = audit("AVAILABLE").filter((o) => o.ouPath === "/Schools/B");
    expect((await recordCheck(store.db, partial, 1, new Date(), { partial: true })).ticketsOpened).toEqual([]);

    const fixed = await recordCheck(store.db, audit("UNAVAILABLE"), 1, new Date());
    expect(fixed.ticketsClosed).toEqual([ticket?.number]);
  });

  it("opens a ticket where the value is set even when that OU is not itself checked", async () => {
    const below = audit("AVAILABLE").filter((o) => o.ouPath.startsWith("/Schools/"));
    const summary = await recordCheck(store.db, below, 1, new Date());
    expect(summary.ticketsOpened).toHaveLength(1);
    expect(await tickets()).toEqual([expect.objectContaining({ school: "/" })]);
  });
});
