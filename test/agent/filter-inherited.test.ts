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
    readAt: new Date().toISOString(),
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

  it("gives new drift a ticket of its own once someone resolved the parent's ticket", async () => {
    const [opened] = (await recordCheck(store.db, audit("AVAILABLE"), 1, new Date())).ticketsOpened;
    if (!opened) throw new Error("no ticket opened");
    await store.db.updateTable("tickets").set({ status: "resolved" }).where("number", "=", opened).execute();
    // A new OU under the drifting root: its inherited drift must not disappear into the resolved ticket.
    const withNew = audit("AVAILABLE");
    const template = withNew.find((o) => o.ouPath === "/Schools/B");
    if (!template) throw new Error("no /Schools/B");
    withNew.push({ ...template, ouPath: "/Schools/C", ouId: "ou9" });
    const summary = await recordCheck(store.db, withNew, 1, new Date());
    expect(summary.ticketsOpened).toHaveLength(1);
    expect(summary.ticketsOpened[0]).not.toBe(opened);
    const row = await store.db
      .selectFrom("filterState")
      .select("ticketNumber")
      .where("ouPath", "=", "/Schools/C")
      .executeTakeFirstOrThrow();
    expect(row.ticketNumber).toBe(summary.ticketsOpened[0]);
  });

  it("opens a ticket where the value is set even when that OU is not itself checked", async () => {
    const below = audit("AVAILABLE").filter((o) => o.ouPath.startsWith("/Schools/"));
    const summary = await recordCheck(store.db, below, 1, new Date());
    expect(summary.ticketsOpened).toHaveLength(1);
    expect(await tickets()).toEqual([expect.objectContaining({ school: "/" })]);
  });
});

describe("a setting missing from a parent OU down", () => {
  const proxy = "chrome.users.SimpleProxySettings.simpleProxyMode";
  /** Every OU's proxy check: missing unless the OU is in `setAt`; `/Schools/B` expects `bExpects`. */
  function unset(setAt: string[] = [], bExpects = "DIRECT"): AuditedOu[] {
    return ous.map((ouPath, i) => {
      const expected = ouPath === "/Schools/B" ? bExpects : "DIRECT";
      const set = setAt.some((s) => s === "/" || ouPath === s || ouPath.startsWith(`${s}/`));
      return {
        ouPath,
        ouId: `ou${i}`,
        readAt: new Date().toISOString(),
        checks: [
          set
            ? {
                rule: proxy,
                label: "Proxy: simpleProxyMode",
                status: "pass",
                expected,
                actual: expected,
                setBy: ouPath,
              }
            : { rule: proxy, label: "Proxy: simpleProxyMode", status: "missing", expected },
        ],
      };
    });
  }

  it("is one ticket at the highest OU missing it, not one per OU, and a school expecting another value has its own", async () => {
    const summary = await recordCheck(store.db, unset([], "PROXY"), 1, new Date());
    expect(summary.ticketsOpened).toHaveLength(2);
    const [root, school] = await tickets();
    expect(root).toMatchObject({ school: "/", status: "open" });
    expect(root?.note).toContain("also not set at /Schools, /Schools/A");
    expect(school).toMatchObject({ school: "/Schools/B" });
    const state = await store.db
      .selectFrom("filterState")
      .select(["ouPath", "ticketNumber"])
      .orderBy("ouPath")
      .execute();
    expect(state).toEqual([
      { ouPath: "/", ticketNumber: root?.number },
      { ouPath: "/Schools", ticketNumber: root?.number },
      { ouPath: "/Schools/A", ticketNumber: root?.number },
      { ouPath: "/Schools/B", ticketNumber: school?.number },
    ]);
    expect(await store.db.selectFrom("notifications").selectAll().execute()).toHaveLength(2);
  });

  it("keeps a school that sets it out, joins the owner's ticket on a partial check, and closes when set above", async () => {
    expect((await recordCheck(store.db, unset(["/Schools/A"]), 1, new Date())).ticketsOpened).toHaveLength(1);
    const [ticket] = await tickets();
    // The school stops setting it itself: a recheck of that OU alone joins the root's ticket.
    const partial = unset().filter((o) => o.ouPath === "/Schools/A");
    expect((await recordCheck(store.db, partial, 1, new Date(), { partial: true })).ticketsOpened).toEqual([]);
    const a = await store.db
      .selectFrom("filterState")
      .select("ticketNumber")
      .where("ouPath", "=", "/Schools/A")
      .executeTakeFirst();
    expect(a?.ticketNumber).toBe(ticket?.number);
    // Set at /Schools: the root still misses it, so the ticket stays; set at the root, it closes.
    expect((await recordCheck(store.db, unset(["/Schools"]), 1, new Date())).ticketsClosed).toEqual([]);
    expect((await recordCheck(store.db, unset(["/"]), 1, new Date())).ticketsClosed).toEqual([ticket?.number]);
    expect(await store.db.selectFrom("notifications").selectAll().execute()).toHaveLength(1);
  });
});
