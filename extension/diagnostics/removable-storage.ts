/**
 * Removable storage (USB sticks, SD cards). On ChromeOS `system.storage` lists only removable
 * media; internal disk use comes from Chrome Management telemetry on the agent side.
 */

import { maxRemovableStorage } from "../../shared/diagnostics";
import { chromeApi } from "../chrome-api";
import { callApi, compact, defineCollector } from "./collector";

export default defineCollector("removableStorage", async (warn) => {
  const storage = chromeApi()?.system?.storage;
  const units = await callApi("system.storage.getInfo", storage?.getInfo && (() => storage.getInfo()), warn);
  if (units && units.length > maxRemovableStorage)
    warn(`${units.length} removable drives attached; the first ${maxRemovableStorage} are listed.`);
  return units?.slice(0, maxRemovableStorage).map(
    (unit) =>
      compact({
        name: unit.name,
        type: unit.type,
        capacityBytes: unit.capacity,
      }) ?? {},
  );
});
