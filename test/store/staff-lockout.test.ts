/**
 * The per-account sign-in lockout on SQLite and PostgreSQL: wrong passwords that race each other
 * still lock the account, and a right password whose read came before the lock cannot clear it.
 */
import type { KyselyPlugin, PluginTransformResultArgs, QueryResult, UnknownRow } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../../agent/errors";
import { createStaffUser, type SessionPolicy, signIn } from "../../agent/services/staff-accounts";
import { openStore, type Store } from "../../agent/store/db";
import { freshDatabaseEach, storageBackends } from "../support/databases";

const policy: SessionPolicy = { idleMinutes: 120, maxHours: 12, maxFailures: 5, lockMinutes: 15 };
const email = "lead@lincoln.example.org";
const password = "correct horse battery staple";
const now = new Date("2026-11-23T08:00:00Z");
const lockedUntil = "2026-11-23T08:15:00.000Z";

const statusOf = (result: PromiseSettledResult<unknown>) =>
  result.status === "rejected" && result.reason instanceof ApiError ? result.reason.status : 0;

/**
 * Runs `meanwhile` to the end right after the first read of the account, before the caller sees
 * it: the interleaving of a slow request with faster ones, made certain.
 */
function afterAccountRead(meanwhile: () => Promise<unknown>): KyselyPlugin {
  let done = false;
  return {
    transformQuery: (args) => args.node,
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (!done && args.result.rows[0] && "failedSignIns" in args.result.rows[0]) {
        done = true;
        await meanwhile();
      }
      return args.result;
    },
  };
}

describe.each(storageBackends())("sign-in lockout on $name", (backend) => {
  let store: Store;
  /** A second connection to the same database, as another agent request would have. */
  let other: Store;
  freshDatabaseEach(backend, async (location) => {
    store = await openStore(location);
    other = await openStore(location);
    return async () => {
      await store.close();
      await other.close();
    };
  });
  beforeEach(async () => {
    await createStaffUser(store.db, { email, displayName: "Pat Lead", password, grants: [] }, now);
  });

  const wrongAttempts = (n: number, db = store.db) =>
    Promise.allSettled(Array.from({ length: n }, () => signIn(db, policy, { email, password: "wrong" }, now)));

  it("locks the account when wrong passwords arrive all at once", async () => {
    const statuses = (await wrongAttempts(12)).map(statusOf);
    // Each is refused: for the wrong password, or (once the lock is on) for the lock.
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    const user = await store.db
      .selectFrom("staffUsers")
      .select(["failedSignIns", "lockedUntil"])
      .executeTakeFirstOrThrow();
    expect(user.failedSignIns).toBe(statuses.filter((s) => s === 401).length);
    expect(user.lockedUntil).toBe(lockedUntil);
    await expect(signIn(store.db, policy, { email, password }, now)).rejects.toMatchObject({ status: 429 });
  });

  it("refuses a right password whose read came before the lock, and leaves the lock on", async () => {
    let raced: PromiseSettledResult<unknown>[] = [];
    const racing = store.db.withPlugin(
      afterAccountRead(async () => {
        raced = await wrongAttempts(10, other.db);
      }),
    );
    await expect(signIn(racing, policy, { email, password }, now)).rejects.toMatchObject({
      status: 429,
      message: expect.stringMatching(/This account is locked; try again in 15 minutes/),
    });
    const user = await store.db
      .selectFrom("staffUsers")
      .select(["failedSignIns", "lockedUntil"])
      .executeTakeFirstOrThrow();
    // Every wrong password read before the lock counts; one read after it is refused for the lock.
    const wrong = raced.map(statusOf).filter((s) => s === 401).length;
    expect(wrong).toBeGreaterThanOrEqual(policy.maxFailures);
    expect(user).toEqual({ failedSignIns: wrong, lockedUntil });
    await expect(signIn(store.db, policy, { email, password }, now)).rejects.toMatchObject({ status: 429 });
  });
});
