/**
 * The audit log: append-only and hash-chained. Each entry's hash covers its own fields and the
 * previous entry's hash, so an edited, removed or reordered entry breaks the chain from there on.
 * Appends lock the single `audit_head` row, so concurrent transactions chain one after another.
 * There is no update or delete here, and the database's triggers refuse them from anywhere else.
 */
import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { AuditLogRow, Database } from "./schema";

export interface AuditInput {
  at: string;
  actorId: string | null;
  actorName: string;
  action: string;
  deviceId?: string | null;
  serialNumber?: string | null;
  school?: string | null;
  reason?: string | null;
  requestId?: string | null;
  before?: unknown;
  after?: unknown;
  google?: unknown;
}

export const genesisHash = "0".repeat(64);

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** The hash of one entry: every field but the hash itself, in a fixed order. */
export function auditHash(row: Omit<AuditLogRow, "hash">): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        row.seq,
        row.at,
        row.actorId,
        row.actorName,
        row.action,
        row.deviceId,
        row.serialNumber,
        row.school,
        row.reason,
        row.requestId,
        row.before,
        row.after,
        row.google,
        row.prevHash,
      ]),
    )
    .digest("hex");
}

/** Appends one entry. Call it inside the transaction that makes the change it records. */
export async function appendAudit(trx: Kysely<Database>, input: AuditInput): Promise<AuditLogRow> {
  // Taking the head row's lock first: a concurrent append waits here and then reads the new head.
  const head = await trx
    .updateTable("auditHead")
    .set((eb) => ({ seq: eb("seq", "+", 1) }))
    .where("id", "=", 1)
    .returning(["seq", "hash"])
    .executeTakeFirstOrThrow();
  const unhashed: Omit<AuditLogRow, "hash"> = {
    seq: head.seq,
    at: input.at,
    actorId: input.actorId,
    actorName: input.actorName,
    action: input.action,
    deviceId: input.deviceId ?? null,
    serialNumber: input.serialNumber ?? null,
    school: input.school ?? null,
    reason: input.reason ?? null,
    requestId: input.requestId ?? null,
    before: json(input.before),
    after: json(input.after),
    google: json(input.google),
    prevHash: head.hash,
  };
  const row: AuditLogRow = { ...unhashed, hash: auditHash(unhashed) };
  await trx.insertInto("auditLog").values(row).execute();
  await trx.updateTable("auditHead").set({ hash: row.hash }).where("id", "=", 1).execute();
  return row;
}

export type ChainCheck =
  | { ok: true; entries: number }
  | { ok: false; entries: number; brokenAt: number; problem: string };

/**
 * Walks the chain in order, a page at a time, up to the head as it was when the check began, and
 * says where it first breaks. Entries appended while it walks lie past that head and are left for
 * the next check: read after the walk, the head could be ahead of it and look like a removed tail.
 */
export async function verifyAuditChain(db: Kysely<Database>, pageSize = 2000): Promise<ChainCheck> {
  const head = await db.selectFrom("auditHead").selectAll().where("id", "=", 1).executeTakeFirstOrThrow();
  let previous = { seq: 0, hash: genesisHash };
  let entries = 0;
  for (;;) {
    const rows = await db
      .selectFrom("auditLog")
      .selectAll()
      .where("seq", ">", previous.seq)
      .where("seq", "<=", head.seq)
      .orderBy("seq")
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      entries += 1;
      if (row.seq !== previous.seq + 1)
        return { ok: false, entries, brokenAt: previous.seq + 1, problem: `entry ${previous.seq + 1} is missing` };
      if (row.prevHash !== previous.hash)
        return {
          ok: false,
          entries,
          brokenAt: row.seq,
          problem: `entry ${row.seq} does not follow entry ${previous.seq}`,
        };
      if (auditHash(row) !== row.hash)
        return { ok: false, entries, brokenAt: row.seq, problem: `entry ${row.seq} was changed after it was written` };
      previous = row;
    }
    if (rows.length < pageSize) break;
  }
  if (head.seq !== previous.seq || head.hash !== previous.hash)
    return { ok: false, entries, brokenAt: previous.seq + 1, problem: `entries after ${previous.seq} were removed` };
  return { ok: true, entries };
}
