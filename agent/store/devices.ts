/** The device inventory: upserts from Google with assignment history, tombstones, and sync state. */
import { type Insertable, type Kysely, sql } from "kysely";
import { nextAssignment } from "./assignments";
import { sqliteHandle } from "./db";
import { updateTelemetrySqlite, writeDevicesSqlite } from "./devices-sqlite";
import type { Database, DeviceTable } from "./schema";

/** A device as Google lists it; the store keeps `assignedSince` itself from the user it carries. */
export type DeviceRow = Omit<Insertable<DeviceTable>, "assignedSince"> & { deviceId: string };

/**
 * Writes a page of devices from Google in one transaction. When a device's assigned user changes,
 * the assignment that was open is recorded as ended and the new one starts (`assignedSince`), so
 * device ↔ student history is kept.
 */
export async function upsertDevices(db: Kysely<Database>, rows: DeviceRow[], at: string): Promise<void> {
  if (!rows.length) return;
  await db.transaction().execute((trx) => writeDevices(trx, rows, at));
}

/** The writes of `upsertDevices`, inside a transaction the caller holds (≤ 500 rows a call). */
export async function writeDevices(trx: Kysely<Database>, rows: DeviceRow[], at: string): Promise<void> {
  if (!rows.length) return;
  const sqlite = trx.isTransaction ? sqliteHandle(trx) : undefined;
  if (sqlite) return writeDevicesSqlite(sqlite, rows, at);
  for (const run of runsOf(rows)) await writeRun(trx, run, at);
}

/**
 * Consecutive rows that one multi-row upsert can take: the same columns, and no device twice
 * (PostgreSQL refuses to update a row twice in one statement; the later row must win, in order).
 */
function runsOf(rows: DeviceRow[]): DeviceRow[][] {
  const runs: DeviceRow[][] = [];
  let current: DeviceRow[] = [];
  let ids = new Set<string>();
  let shape = "";
  for (const row of rows) {
    const rowShape = Object.keys(row).join(",");
    if (current.length && (ids.has(row.deviceId) || rowShape !== shape)) {
      runs.push(current);
      current = [];
      ids = new Set();
    }
    current.push(row);
    ids.add(row.deviceId);
    shape = rowShape;
  }
  if (current.length) runs.push(current);
  return runs;
}

async function writeRun(trx: Kysely<Database>, run: DeviceRow[], at: string): Promise<void> {
  let rows = run;
  if (run[0] && "annotatedUser" in run[0]) {
    const ids = run.map((r) => r.deviceId);
    // Locked until the transaction ends (in id order, so two writers cannot deadlock): a writer
    // ending the same assignment meanwhile (a device marked missing) waits, and then reads what it wrote.
    const before = new Map(
      (
        await trx
          .selectFrom("devices")
          .select(["deviceId", "annotatedUser as user", "assignedSince as since"])
          .where("deviceId", "in", ids)
          .orderBy("deviceId")
          .$if(!sqliteHandle(trx), (qb) => qb.forUpdate())
          .execute()
      ).map((r) => [r.deviceId, r]),
    );
    const next = run.map((row) => nextAssignment(before.get(row.deviceId), row.annotatedUser, at));
    const ended = run.flatMap((row, i) => {
      const assignment = next[i]?.ended;
      return assignment
        ? [{ deviceId: row.deviceId, userEmail: assignment.user, startedAt: assignment.since, endedAt: at }]
        : [];
    });
    // Batched, so a page of reassigned devices is one statement, not hundreds.
    if (ended.length) await trx.insertInto("deviceAssignments").values(ended).execute();
    rows = run.map((row, i) => ({ ...row, assignedSince: next[i]?.since ?? null }));
  }
  // One statement a page: every column from Google replaces the stored one (`excluded.*`).
  const columns = Object.keys(rows[0] ?? {}).filter((k) => k !== "deviceId") as (keyof DeviceRow)[];
  await trx
    .insertInto("devices")
    .values(rows.map((row) => ({ ...row, removedAt: null })))
    .onConflict((oc) =>
      oc.column("deviceId").doUpdateSet((eb) => ({
        ...Object.fromEntries(columns.map((column) => [column, eb.ref(`excluded.${column}` as "excluded.status")])),
        removedAt: null,
      })),
    )
    .execute();
}

/** A secondary index of `devices`, as SQLite keeps its definition. */
export interface IndexDefinition {
  name: string;
  sql: string;
}

/**
 * Loading an empty inventory (a district's first sync) on SQLite: the devices' search indexes are
 * dropped, inside the caller's transaction, to be built once when the load ends (`buildIndexes`).
 * Building an index over the loaded rows costs a fraction of keeping it up insert by insert: the
 * serial and asset tag arrive in no order, so each insert lands on a different index page (for
 * 100,000 devices about 0.6 s of a 2.3 s load, against 0.1–0.3 s to build both after). Returns
 * what was dropped: nothing on PostgreSQL, or when the inventory holds devices.
 */
export function deferIndexesOfEmptyInventory(trx: Kysely<Database>): IndexDefinition[] {
  const sqlite = sqliteHandle(trx);
  if (!sqlite || sqlite.prepare("select 1 from devices limit 1").get()) return [];
  const indexes = sqlite
    .prepare<[], IndexDefinition>(
      "select name, sql from sqlite_master where type = 'index' and tbl_name = 'devices' and sql is not null",
    )
    .all();
  for (const index of indexes) sqlite.exec(`drop index ${quoted(index.name)}`);
  return indexes;
}

/** Builds the indexes `deferIndexesOfEmptyInventory` dropped, inside the caller's transaction. */
export function buildIndexes(trx: Kysely<Database>, indexes: IndexDefinition[]): void {
  const sqlite = sqliteHandle(trx);
  if (!sqlite) return;
  const exists = sqlite.prepare<[string]>("select 1 from sqlite_master where type = 'index' and name = ?").pluck();
  for (const index of indexes) if (!exists.get(index.name)) sqlite.exec(index.sql);
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Up to `limit` devices the run `runId` did not see and that are not already tombstones. */
export async function unseenDeviceIds(db: Kysely<Database>, runId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("devices")
    .select("deviceId")
    .where("removedAt", "is", null)
    .where((eb) => eb.or([eb("seenInRun", "is", null), eb("seenInRun", "!=", runId)]))
    .limit(limit)
    .execute();
  return rows.map((row) => row.deviceId);
}

/**
 * Tombstones the devices the run `runId` did not see: all of them, or only those of `only` (the
 * ones Google answered 404 for: a thousand at most, one parameter each). Returns how many it marked.
 */
export async function tombstoneUnseen(
  db: Kysely<Database>,
  runId: string,
  at: string,
  only?: string[],
): Promise<number> {
  if (only && !only.length) return 0;
  const result = await db
    .updateTable("devices")
    .set({ removedAt: at })
    .where("removedAt", "is", null)
    .where((eb) => eb.or([eb("seenInRun", "is", null), eb("seenInRun", "!=", runId)]))
    .$if(only !== undefined, (qb) => qb.where("deviceId", "in", only as string[]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function readSyncState<T>(db: Kysely<Database>, name: string): Promise<T | undefined> {
  const row = await db.selectFrom("syncState").select("state").where("name", "=", name).executeTakeFirst();
  return row ? (JSON.parse(row.state) as T) : undefined;
}

export async function writeSyncState(db: Kysely<Database>, name: string, state: unknown, at: string): Promise<void> {
  const json = JSON.stringify(state);
  await db
    .insertInto("syncState")
    .values({ name, state: json, updatedAt: at })
    .onConflict((oc) => oc.column("name").doUpdateSet({ state: json, updatedAt: at }))
    .execute();
}

/** A device's battery health and disk use from Chrome Management telemetry. */
export type TelemetryRow = Pick<
  DeviceTable,
  "batteryHealth" | "batteryCycleCount" | "diskTotalBytes" | "diskFreeBytes" | "telemetryAt"
> & { deviceId: string };

/**
 * Writes pages of telemetry onto the inventory in one transaction (one disk sync, not one a device): a prepared update per device on SQLite, one statement on PostgreSQL. Devices the
 * inventory does not hold are left out. Returns how many devices it updated.
 */
export async function updateTelemetry(db: Kysely<Database>, rows: TelemetryRow[]): Promise<number> {
  if (!rows.length) return 0;
  return db.transaction().execute(async (trx) => {
    const sqlite = sqliteHandle(trx);
    if (sqlite) return updateTelemetrySqlite(sqlite, rows);
    let updated = 0;
    // PostgreSQL takes at most 65,535 parameters a statement: 1,000 rows of 6 a statement.
    for (let i = 0; i < rows.length; i += 1000) updated += await updateTelemetryPostgres(trx, rows.slice(i, i + 1000));
    return updated;
  });
}

async function updateTelemetryPostgres(trx: Kysely<Database>, rows: TelemetryRow[]): Promise<number> {
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(${r.deviceId}::text, ${r.batteryHealth}::text, ${r.batteryCycleCount}::integer, ${r.diskTotalBytes}::text, ${r.diskFreeBytes}::text, ${r.telemetryAt}::text)`,
    ),
  );
  const result = await sql`
      update devices as d set battery_health = v.battery_health, battery_cycle_count = v.battery_cycle_count,
        disk_total_bytes = v.disk_total_bytes, disk_free_bytes = v.disk_free_bytes, telemetry_at = v.telemetry_at
      from (values ${values}) as v (device_id, battery_health, battery_cycle_count, disk_total_bytes, disk_free_bytes, telemetry_at)
      where d.device_id = v.device_id`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}
