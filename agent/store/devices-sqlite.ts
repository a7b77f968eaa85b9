/**
 * The inventory's page writes on SQLite as statements prepared once: the same writes as the Kysely
 * path in `devices.ts`, without compiling and preparing a 500-row statement for every page.
 */
import type SQLite from "better-sqlite3";
import { nextAssignment, type OpenAssignment } from "./assignments";
import type { DeviceRow, TelemetryRow } from "./devices";
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

/** What is only bookkeeping: a row that differs from the stored device only here changes nothing. */
const bookkeeping = new Set<string>(["seenInRun", "syncedAt"]);

/**
 * The statements for one set of columns a row carries (`seenInRun` only in a full sync). Their
 * parameters are positional, bound in the order of the keys named here: better-sqlite3 binds a
 * named parameter by looking its name up on the row, which cost a district's first load about
 * 0.2–0.4 s of its 100,000 inserts.
 */
interface RowShape {
  keys: string[];
  /** Every column the row carries replaces the stored one, and the device is no longer removed; `assigned_since` last. */
  upsert: SQLite.Statement<unknown[]>;
  /**
   * For a row that carries bookkeeping: whether the stored device already has every value that
   * matters in it (SQLite compares), and the update of only the bookkeeping when it has.
   */
  settled?: {
    compared: string[];
    unchanged: SQLite.Statement<unknown[]>;
    touched: string[];
    touch: SQLite.Statement<unknown[]>;
  };
}

interface DeviceStatements {
  db: SQLite.Database;
  current: SQLite.Statement<[string], OpenAssignment & { removed: string | null }>;
  recordEnded: SQLite.Statement<[string, string, string, string]>;
  telemetry: SQLite.Statement<[string | null, number | null, string | null, string | null, string | null, string]>;
  shapes: Map<string, RowShape>;
  last: RowShape | undefined;
}

const prepared = new WeakMap<SQLite.Database, DeviceStatements>();

function statementsFor(db: SQLite.Database): DeviceStatements {
  let statements = prepared.get(db);
  if (!statements) {
    statements = {
      db,
      current: db.prepare(
        "select annotated_user as user, assigned_since as since, removed_at as removed from devices where device_id = ?",
      ),
      recordEnded: db.prepare(
        "insert into device_assignments (device_id, user_email, started_at, ended_at) values (?, ?, ?, ?)",
      ),
      telemetry: db.prepare(
        `update devices set battery_health = ?, battery_cycle_count = ?, disk_total_bytes = ?, disk_free_bytes = ?,
           telemetry_at = ? where device_id = ?`,
      ),
      shapes: new Map(),
      last: undefined,
    };
    prepared.set(db, statements);
  }
  return statements;
}

function column(key: string): string {
  const name = columns[key as keyof DeviceTable];
  if (!name) throw new Error(`devices has no column for ${key}`);
  return name;
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The row's values under `keys`, in order, then `after`: a statement's positional parameters. */
function valuesOf(row: DeviceRow, keys: string[], ...after: unknown[]): unknown[] {
  const fields = row as Record<string, unknown>;
  const values = new Array<unknown>(keys.length + after.length);
  for (let i = 0; i < keys.length; i++) values[i] = fields[keys[i] as string];
  for (let i = 0; i < after.length; i++) values[keys.length + i] = after[i];
  return values;
}

/**
 * The statements for the row's columns, prepared once per shape. The upsert binds `assigned_since`
 * after the row's own columns (null for a row without the user, which then keeps the stored one).
 */
function shapeFor(statements: DeviceStatements, row: DeviceRow): RowShape {
  const keys = Object.keys(row).filter((key) => key !== "removedAt");
  if (statements.last && sameKeys(statements.last.keys, keys)) return statements.last;
  const id = keys.join(",");
  let shape = statements.shapes.get(id);
  if (!shape) {
    const names = keys.map(column);
    const withUser = keys.includes("annotatedUser");
    const compared = ["deviceId", ...keys.filter((key) => key !== "deviceId" && !bookkeeping.has(key))];
    const updates = names.filter((name) => name !== "device_id").map((name) => `${name} = excluded.${name}`);
    if (withUser) updates.push("assigned_since = excluded.assigned_since");
    const touched = keys.filter((key) => bookkeeping.has(key));
    const conditions = compared.map((key) => (key === "deviceId" ? "device_id = ?" : `${column(key)} is ?`));
    shape = {
      keys,
      upsert: statements.db.prepare(
        `insert into devices (${[...names, "assigned_since"].join(", ")}, removed_at)
         values (${[...keys, "assignedSince"].map(() => "?").join(", ")}, null)
         on conflict (device_id) do update set ${[...updates, "removed_at = null"].join(", ")}`,
      ),
      ...(touched.length > 0 && {
        settled: {
          compared,
          unchanged: statements.db.prepare(`select 1 from devices where ${conditions.join(" and ")}`).pluck(),
          touched: [...touched, "deviceId"],
          touch: statements.db.prepare(
            `update devices set ${touched.map((key) => `${column(key)} = ?`).join(", ")} where device_id = ?`,
          ),
        },
      }),
    };
    statements.shapes.set(id, shape);
  }
  statements.last = shape;
  return shape;
}

/**
 * `writeDevices` on SQLite, inside the caller's transaction. Per device: its open assignment, then
 * either only its bookkeeping (nothing Google reports changed: the nightly sync of a settled
 * district writes little) or the upsert. When the user changed, the assignment that was open is
 * recorded as ended and the new one starts.
 */
export function writeDevicesSqlite(db: SQLite.Database, rows: DeviceRow[], at: string): void {
  const statements = statementsFor(db);
  for (const row of rows) {
    const shape = shapeFor(statements, row);
    const before = statements.current.get(row.deviceId);
    const settled = shape.settled;
    if (before && before.removed === null && settled?.unchanged.get(...valuesOf(row, settled.compared))) {
      settled.touch.run(...valuesOf(row, settled.touched));
      continue;
    }
    if (!("annotatedUser" in row)) {
      shape.upsert.run(...valuesOf(row, shape.keys, null));
      continue;
    }
    const next = nextAssignment(before, row.annotatedUser, at);
    if (next.ended) statements.recordEnded.run(row.deviceId, next.ended.user, next.ended.since, at);
    shape.upsert.run(...valuesOf(row, shape.keys, next.since));
  }
}

/** `updateTelemetry` on SQLite, inside the caller's transaction: one prepared update per device. */
export function updateTelemetrySqlite(db: SQLite.Database, rows: TelemetryRow[]): number {
  const { telemetry } = statementsFor(db);
  let updated = 0;
  for (const row of rows) {
    const { batteryHealth, batteryCycleCount, diskTotalBytes, diskFreeBytes, telemetryAt, deviceId } = row;
    updated += telemetry.run(
      batteryHealth,
      batteryCycleCount,
      diskTotalBytes,
      diskFreeBytes,
      telemetryAt,
      deviceId,
    ).changes;
  }
  return updated;
}
