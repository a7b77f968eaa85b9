/**
 * A test agent over the in-process sandbox whose demo district has been synced into the store:
 * for tests of actions that reach Google. Staff as in `seedDistrict` (Lincoln-scoped roles, a
 * district admin, Washington's IT lead).
 */
import { directoryAdapter } from "../../agent/google/directory";
import type { RunningSandbox } from "../../agent/sandbox/server";
import { fullSync } from "../../agent/services/inventory-sync";
import type { StoreLocation } from "../../agent/store/db";
import { createTestAgent, lincoln, type TestAgent, washington } from "./agent";
import { type District, seedDistrict } from "./district";

export interface GoogleDistrict {
  agent: TestAgent;
  district: District;
  sandbox: RunningSandbox;
  /** Active synced devices of a school's Students OU, each handed out once per file. */
  takeDevice(school?: "lincoln" | "washington"): Promise<{ deviceId: string; serialNumber: string; assetId?: string }>;
  /** The sandbox's own record of a device: what Google would answer. */
  googleStatus(deviceId: string): string | undefined;
}

export async function createGoogleDistrict(
  location: StoreLocation = { sqliteFile: ":memory:" },
  now?: () => Date,
): Promise<GoogleDistrict> {
  const agent = await createTestAgent(location, {}, now, { google: true });
  const google = agent.google;
  const sandbox = google?.sandbox;
  if (!google || !sandbox) throw new Error("the test agent has no sandbox");
  const district = await seedDistrict(agent);
  await fullSync(agent.store.db, directoryAdapter(google.client), { parallelOus: 8 });
  const taken = new Set<string>();
  return {
    agent,
    district,
    sandbox,
    async takeDevice(school = "lincoln") {
      const ou = `${school === "lincoln" ? lincoln : washington}/Students`;
      const rows = await agent.store.db
        .selectFrom("devices")
        .select(["deviceId", "serialNumber", "annotatedAssetId"])
        .where("orgUnitPath", "=", ou)
        .where("status", "=", "ACTIVE")
        .where("removedAt", "is", null)
        .orderBy("deviceId")
        .execute();
      const row = rows.find((r) => !taken.has(r.deviceId) && r.serialNumber);
      if (!row) throw new Error(`no untaken active device left in ${ou}`);
      taken.add(row.deviceId);
      return {
        deviceId: row.deviceId,
        serialNumber: row.serialNumber as string,
        assetId: row.annotatedAssetId ?? undefined,
      };
    },
    googleStatus: (deviceId) => sandbox.context.district.devices.get(deviceId)?.status ?? undefined,
  };
}
