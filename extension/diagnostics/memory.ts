/** Installed and available memory. */
import { chromeApi } from "../chrome-api";
import { callApi, compact, defineCollector } from "./collector";

export default defineCollector("memory", async (warn) => {
  const memory = chromeApi()?.system?.memory;
  const info = await callApi("system.memory.getInfo", memory?.getInfo && (() => memory.getInfo()), warn);
  return (
    info &&
    compact({
      capacityBytes: info.capacity,
      availableBytes: info.availableCapacity,
    })
  );
});
