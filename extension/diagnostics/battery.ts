/**
 * Battery level and charging state. `navigator.getBattery()` exists only in windows, so the popup
 * runs this one at click time; health and cycle count come from Google telemetry on the agent.
 */
import { callApi, compact, defineCollector } from "./collector";

interface BatteryManager {
  level: number;
  charging: boolean;
  chargingTime: number;
  dischargingTime: number;
}

const finite = (n: number) => (Number.isFinite(n) ? n : undefined);

export default defineCollector("battery", async (warn) => {
  const nav = globalThis.navigator as { getBattery?: () => Promise<BatteryManager> } | undefined;
  const battery = await callApi("navigator.getBattery", nav?.getBattery && (() => nav.getBattery?.()), warn);
  return (
    battery &&
    compact({
      level: battery.level,
      charging: battery.charging,
      chargingTimeS: finite(battery.chargingTime),
      dischargingTimeS: finite(battery.dischargingTime),
    })
  );
});
