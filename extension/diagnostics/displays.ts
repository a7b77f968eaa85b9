/** Connected displays: internal panel and any external monitors. */

import { maxDisplays } from "../../shared/diagnostics";
import { chromeApi } from "../chrome-api";
import { callApi, compact, defineCollector } from "./collector";

export default defineCollector("displays", async (warn) => {
  const display = chromeApi()?.system?.display;
  const units = await callApi("system.display.getInfo", display?.getInfo && (() => display.getInfo()), warn);
  if (units && units.length > maxDisplays)
    warn(`${units.length} displays attached; the first ${maxDisplays} are listed.`);
  return units?.slice(0, maxDisplays).map(
    (unit) =>
      compact({
        name: unit.name,
        isPrimary: unit.isPrimary,
        isInternal: unit.isInternal,
        widthPx: unit.bounds?.width,
        heightPx: unit.bounds?.height,
        dpiX: unit.dpiX,
        rotation: unit.rotation,
      }) ?? {},
  );
});
