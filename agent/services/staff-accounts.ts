/**
 * Local staff accounts and their sessions: sign-in with lockout after repeated failures, sessions
 * with idle and absolute timeouts, and sign-out everywhere.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import type { RoleGrant } from "../../shared";
import { decoyHash, hashPassword, verifyPassword } from "../auth/passwords";
import { ApiError } from "../errors";
import { sha256 } from "../http";
import type { Database, StaffUserRow } from "../store/schema";
import * as staff from "../store/staff";

export interface SessionPolicy {
  idleMinutes: number;
  maxHours: number;
  maxFailures: number;
  lockMinutes: number;
}

export interface StaffPrincipal {
  user: Pick<StaffUserRow, "id" | "email" | "displayName">;
  grants: RoleGrant[];
  sessionHash: string;
}

/**
 * Adds an account. `alongside` runs in the same transaction once the row is written: where an
 * admin adds someone, it writes the audit entry, so the account and its record land together.
 */
export async function createStaffUser(
  db: Kysely<Database>,
  input: { email: string; displayName: string; password?: string; grants: RoleGrant[] },
  now = new Date(),
  alongside?: (trx: Transaction<Database>, account: { userId: string; email: string }) => Promise<unknown>,
): Promise<string> {
  const id = randomUUID();
  const email = input.email.trim().toLowerCase();
  // Hashed before the transaction: SQLite's one connection is not held through scrypt.
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  await db.transaction().execute(async (trx) => {
    await staff.insertStaffUser(
      trx,
      { id, email, displayName: input.displayName, passwordHash, createdAt: now.toISOString(), lockedUntil: null },
      input.grants,
    );
    await alongside?.(trx, { userId: id, email });
  });
  return id;
}

const minutes = (n: number) => n * 60_000;

function accountLocked(lockedUntil: string, now: Date): ApiError {
  const wait = Math.max(1, Math.ceil((new Date(lockedUntil).getTime() - now.getTime()) / 60_000));
  return new ApiError(
    429,
    "rate_limited",
    `Too many failed sign-ins. This account is locked; try again in ${wait} minute${wait === 1 ? "" : "s"}, or ask a district admin.`,
  );
}

/** Checks the password and opens a session; the answer is the session token for the cookie. */
export async function signIn(
  db: Kysely<Database>,
  policy: SessionPolicy,
  input: { email: string; password: string; userAgent?: string },
  now = new Date(),
): Promise<{ token: string; userId: string }> {
  const refused = new ApiError(401, "unauthenticated", "That email and password do not match an account.");
  const user = await staff.findStaffUserByEmail(db, input.email);
  if (!user?.passwordHash || user.disabled) {
    await verifyPassword(input.password, decoyHash);
    throw refused;
  }
  if (user.lockedUntil && new Date(user.lockedUntil) > now) throw accountLocked(user.lockedUntil, now);
  if (!(await verifyPassword(input.password, user.passwordHash))) {
    const lockUntil = new Date(now.getTime() + minutes(policy.lockMinutes)).toISOString();
    await staff.recordSignInFailure(db, user.id, policy.maxFailures, lockUntil);
    throw refused;
  }
  // The read above may be stale: failures racing this request may have locked the account since.
  if (!(await staff.clearSignInFailures(db, user.id, now.toISOString()))) {
    const current = await staff.findStaffUser(db, user.id);
    throw current?.lockedUntil ? accountLocked(current.lockedUntil, now) : refused;
  }
  return { token: await openSession(db, policy, user.id, input.userAgent, now), userId: user.id };
}

/** Opens a session for someone already identified (password or Google); the answer is the cookie's token. */
export async function openSession(
  db: Kysely<Database>,
  policy: SessionPolicy,
  userId: string,
  userAgent: string | undefined,
  now = new Date(),
): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  const at = now.toISOString();
  await staff.insertSession(db, {
    idHash: sha256(token),
    userId,
    createdAt: at,
    lastSeenAt: at,
    expiresAt: new Date(now.getTime() + policy.maxHours * 3_600_000).toISOString(),
    userAgent: userAgent?.slice(0, 300) ?? null,
  });
  return token;
}

/** The signed-in person behind a session token, or undefined when it is unknown, idle too long or expired. */
export async function resolveSession(
  db: Kysely<Database>,
  policy: SessionPolicy,
  token: string,
  now = new Date(),
): Promise<StaffPrincipal | undefined> {
  const idHash = sha256(token);
  const session = await staff.findSession(db, idHash);
  if (!session) return undefined;
  const idleSince = new Date(session.lastSeenAt).getTime();
  if (new Date(session.expiresAt) <= now || now.getTime() - idleSince > minutes(policy.idleMinutes)) {
    await staff.deleteSession(db, idHash);
    return undefined;
  }
  const user = await staff.findStaffUser(db, session.userId);
  if (!user || user.disabled) return undefined;
  // Write the sliding timestamp at most once a minute, not on every request.
  if (now.getTime() - idleSince > 60_000) await staff.touchSession(db, idHash, now.toISOString());
  return {
    user: { id: user.id, email: user.email, displayName: user.displayName },
    grants: await staff.grantsOf(db, user.id),
    sessionHash: idHash,
  };
}

export function signOut(db: Kysely<Database>, sessionHash: string): Promise<void> {
  return staff.deleteSession(db, sessionHash);
}

export function signOutEverywhere(db: Kysely<Database>, userId: string): Promise<number> {
  return staff.deleteSessionsOf(db, userId);
}
