/**
 * The inventory's page writes on SQLite as statements prepared once: the same writes as the Kysely
 * path in `devices.ts`, without compiling and preparing a 500-row statement for every page. A
 * batch goes to SQLite as one JSON array per statement (`json_each`), so a page of 300 devices
 * costs a handful of calls into SQLite rather than three per device.
 */
import type SQLite from "better-sqlite3";
import type { DeviceRow } from "./devices";
import type { DeviceTable } from "./schema";

const columns: Record<keyof DeviceTable, string> = {
  deviceId: "device_id",
  serialNumber: "serial_number",
  status: "status",
  orgUnitPath: "org_unit_path",
  model: "model",
  osVersion: "os_version",
  aueDate: "aue_date",
  lastSync: "last_sync",
  annotatedUser: "annotated_user",
  annotatedAssetId: "annotated_asset_id",
  annotatedLocation: "annotated_location",
  notes: "notes",
  recentUsers: "recent_users",
  macAddress: "mac_address",
  lastKnownNetwork: "last_known_network",
  batteryHealth: "battery_health",
  batteryCycleCount: "battery_cycle_count",
  diskTotalBytes: "disk_total_bytes",
  diskFreeBytes: "disk_free_bytes",
  telemetryAt: "telemetry_at",
  seenInRun: "seen_in_run",
  syncedAt: "synced_at",
  removedAt: "removed_at",
};

interface DeviceStatements {
  db: SQLite.Database;
  assignedUser: SQLite.Statement<[string], string | null>;
  endAssignment: SQLite.Statement<[string, string]>;
  startAssignment: SQLite.Statement<[string, string, string]>;
  /** One upsert per set of columns a row carries (`seenInRun` only in a full sync). */
  upserts: Map<string, SQLite.Statement<[DeviceRow]>>;
  /** The same, many devices at once: a JSON array of rows, each an array of values in key order. */
  bulkUpserts: Map<string, SQLite.Statement<[string]>>;
  assignedUsers: SQLite.Statement<[string], { device_id: string; annotated_user: string | null }>;
  endAssignments: SQLite.Statement<[string, string]>;
  startAssignments: SQLite.Statement<[string, string]>;
}

const prepared = new WeakMap<SQLite.Database, DeviceStatements>();

function statementsFor(db: SQLite.Database): DeviceStatements {
  let statements = prepared.get(db);
  if (!statements) {
    statements = {
      db,
      assignedUser: db
        .prepare<[string], string | null>("select annotated_user from devices where device_id = ?")
        .pluck(),
      endAssignment: db.prepare("update device_assignments set ended_at = ? where device_id = ? and ended_at is null"),
      startAssignment: db.prepare(
        "insert into device_assignments (device_id, user_email, started_at, ended_at) values (?, ?, ?, null)",
      ),
      upserts: new Map(),
      bulkUpserts: new Map(),
      assignedUsers: db.prepare(
        "select device_id, annotated_user from devices where device_id in (select value from json_each(?))",
      ),
      endAssignments: db.prepare(
        "update device_assignments set ended_at = ? where ended_at is null and device_id in (select value from json_each(?))",
      ),
      startAssignments: db.prepare(
        "insert into device_assignments (device_id, user_email, started_at, ended_at) select value ->> 0, value ->> 1, ?, null from json_each(?)",
      ),
    };
    prepared.set(db, statements);
  }
  return statements;
}

function columnsOf(keys: string[]): string[] {
  return keys.map((key) => {
    const column = columns[key as keyof DeviceTable];
    if (!column) throw new Error(`devices has no column for ${key}`);
    return column;
  });
}

const updatesOf = (names: string[]) =>
  [
    ...names.filter((name) => name !== "device_id").map((name) => `${name} = excluded.${name}`),
    "removed_at = null",
  ].join(", ");

const keysOf = (row: DeviceRow) => Object.keys(row).filter((key) => key !== "removedAt");

/** Every column the row carries replaces the stored one, and the device is no longer removed. */
function upsertFor(statements: DeviceStatements, row: DeviceRow): SQLite.Statement<[DeviceRow]> {
  const keys = keysOf(row);
  const shape = keys.join(",");
  let upsert = statements.upserts.get(shape);
  if (!upsert) {
    const names = columnsOf(keys);
    upsert = statements.db.prepare<[DeviceRow]>(
      `insert into devices (${names.join(", ")}, removed_at) values (${keys.map((key) => `@${key}`).join(", ")}, null)
       on conflict (device_id) do update set ${updatesOf(names)}`,
    );
    statements.upserts.set(shape, upsert);
  }
  return upsert;
}

/** `upsertFor` for many rows of one shape: `?` is a JSON array of value arrays in `keys` order. */
function bulkUpsertFor(statements: DeviceStatements, keys: string[]): SQLite.Statement<[string]> {
  const shape = keys.join(",");
  let upsert = statements.bulkUpserts.get(shape);
  if (!upsert) {
    const names = columnsOf(keys);
    // `where true` lets SQLite tell the upsert's ON CONFLICT from a join's ON.
    upsert = statements.db.prepare<[string]>(
      `insert into devices (${names.join(", ")}, removed_at)
       select ${names.map((_, i) => `value ->> ${i}`).join(", ")}, null from json_each(?) where true
       on conflict (device_id) do update set ${updatesOf(names)}`,
    );
    statements.bulkUpserts.set(shape, upsert);
  }
  return upsert;
}

/** One device at a time: for a batch naming a device twice, whose rows must apply in order. */
function writeOneByOne(statements: DeviceStatements, rows: DeviceRow[], at: string): void {
  for (const row of rows) {
    const before = statements.assignedUser.get(row.deviceId) || null;
    upsertFor(statements, row).run(row);
    const user = row.annotatedUser || null;
    if (before === user) continue;
    // An assignment is open exactly while the device has a user: with none before, none to end.
    if (before !== null) statements.endAssignment.run(at, row.deviceId);
    if (user) statements.startAssignment.run(row.deviceId, user, at);
  }
}

/**
 * `writeDevices` on SQLite, inside the caller's transaction: the assigned users before, the
 * upserts, and for each device whose user changed, the open assignment ends and a new one starts.
 */
export function writeDevicesSqlite(db: SQLite.Database, rows: DeviceRow[], at: string): void {
  const statements = statementsFor(db);
  const ids = rows.map((row) => row.deviceId);
  if (new Set(ids).size !== ids.length) return writeOneByOne(statements, rows, at);
  const before = new Map(
    statements.assignedUsers.all(JSON.stringify(ids)).map((r) => [r.device_id, r.annotated_user || null]),
  );
  const shapes = new Map<string, { keys: string[]; values: unknown[][] }>();
  for (const row of rows) {
    const keys = keysOf(row);
    const shape = keys.join(",");
    const group = shapes.get(shape) ?? { keys, values: [] };
    group.values.push(keys.map((key) => row[key as keyof DeviceRow] ?? null));
    shapes.set(shape, group);
  }
  for (const { keys, values } of shapes.values()) bulkUpsertFor(statements, keys).run(JSON.stringify(values));
  const ended: string[] = [];
  const started: [string, string][] = [];
  for (const row of rows) {
    const was = before.get(row.deviceId) ?? null;
    const user = row.annotatedUser || null;
    if (was === user) continue;
    if (was !== null) ended.push(row.deviceId);
    if (user) started.push([row.deviceId, user]);
  }
  if (ended.length) statements.endAssignments.run(at, JSON.stringify(ended));
  if (started.length) statements.startAssignments.run(at, JSON.stringify(started));
}
