/**
 * The inventory's page writes on SQLite as statements prepared once: the same writes as the Kysely
 * path in `devices.ts`, without compiling and preparing a 500-row statement for every page.
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
    };
    prepared.set(db, statements);
  }
  return statements;
}

/** Every column the row carries replaces the stored one, and the device is no longer removed. */
function upsertFor(statements: DeviceStatements, row: DeviceRow): SQLite.Statement<[DeviceRow]> {
  const keys = Object.keys(row).filter((key) => key !== "removedAt");
  const shape = keys.join(",");
  let upsert = statements.upserts.get(shape);
  if (!upsert) {
    const names = keys.map((key) => {
      const column = columns[key as keyof DeviceTable];
      if (!column) throw new Error(`devices has no column for ${key}`);
      return column;
    });
    const updates = names.filter((name) => name !== "device_id").map((name) => `${name} = excluded.${name}`);
    upsert = statements.db.prepare<[DeviceRow]>(
      `insert into devices (${names.join(", ")}, removed_at) values (${keys.map((key) => `@${key}`).join(", ")}, null)
       on conflict (device_id) do update set ${[...updates, "removed_at = null"].join(", ")}`,
    );
    statements.upserts.set(shape, upsert);
  }
  return upsert;
}

/**
 * `writeDevices` on SQLite, inside the caller's transaction: per device, the assigned user before,
 * the upsert, and when the user changed, the open assignment ends and a new one starts.
 */
export function writeDevicesSqlite(db: SQLite.Database, rows: DeviceRow[], at: string): void {
  const statements = statementsFor(db);
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
