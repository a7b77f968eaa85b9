/**
 * The inventory's page writes on SQLite as statements prepared once: the same writes as the Kysely
 * path in `devices.ts`, without compiling and preparing a 500-row statement for every page.
 */
import type SQLite from "better-sqlite3";
import { nextAssignment, type OpenAssignment } from "./assignments";
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
  assignedSince: "assigned_since",
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
  current: SQLite.Statement<[string], OpenAssignment>;
  recordEnded: SQLite.Statement<[string, string, string, string]>;
  /** One upsert per set of columns a row carries (`seenInRun` only in a full sync). */
  upserts: Map<string, SQLite.Statement>;
}

const prepared = new WeakMap<SQLite.Database, DeviceStatements>();

function statementsFor(db: SQLite.Database): DeviceStatements {
  let statements = prepared.get(db);
  if (!statements) {
    statements = {
      db,
      current: db.prepare("select annotated_user as user, assigned_since as since from devices where device_id = ?"),
      recordEnded: db.prepare(
        "insert into device_assignments (device_id, user_email, started_at, ended_at) values (?, ?, ?, ?)",
      ),
      upserts: new Map(),
    };
    prepared.set(db, statements);
  }
  return statements;
}

/**
 * Every column the row carries replaces the stored one, and the device is no longer removed. A row
 * that carries the user also sets `assigned_since`, bound as the statement's one anonymous parameter.
 */
function upsertFor(statements: DeviceStatements, row: DeviceRow, withAssignment: boolean) {
  const keys = Object.keys(row).filter((key) => key !== "removedAt");
  const shape = `${keys.join(",")}${withAssignment ? "+assigned" : ""}`;
  let upsert = statements.upserts.get(shape);
  if (!upsert) {
    const names = keys.map((key) => {
      const column = columns[key as keyof DeviceTable];
      if (!column) throw new Error(`devices has no column for ${key}`);
      return column;
    });
    const values = keys.map((key) => `@${key}`);
    if (withAssignment) {
      names.push("assigned_since");
      values.push("?");
    }
    const updates = names.filter((name) => name !== "device_id").map((name) => `${name} = excluded.${name}`);
    upsert = statements.db.prepare(
      `insert into devices (${names.join(", ")}, removed_at) values (${values.join(", ")}, null)
       on conflict (device_id) do update set ${[...updates, "removed_at = null"].join(", ")}`,
    );
    statements.upserts.set(shape, upsert);
  }
  return upsert;
}

/**
 * `writeDevices` on SQLite, inside the caller's transaction: per device, its current assignment,
 * then the upsert. When the user changed, the assignment that was open is recorded as ended.
 */
export function writeDevicesSqlite(db: SQLite.Database, rows: DeviceRow[], at: string): void {
  const statements = statementsFor(db);
  for (const row of rows) {
    if (!("annotatedUser" in row)) {
      upsertFor(statements, row, false).run(row);
      continue;
    }
    const next = nextAssignment(statements.current.get(row.deviceId), row.annotatedUser, at);
    if (next.ended) statements.recordEnded.run(row.deviceId, next.ended.user, next.ended.since, at);
    upsertFor(statements, row, true).run(next.since, row);
  }
}
