/**
 * The device's identity in Google Admin. `enterprise.deviceAttributes` exists only on ChromeOS for
 * force-installed extensions, and answers "" for users not affiliated with the device's domain.
 */
import { chromeApi } from "../chrome-api";
import { callApi, compact, defineCollector } from "./collector";

const attributes = {
  directoryDeviceId: "getDirectoryDeviceId",
  serialNumber: "getDeviceSerialNumber",
  assetId: "getDeviceAssetId",
  annotatedLocation: "getDeviceAnnotatedLocation",
  hostname: "getDeviceHostname",
} as const;

export default defineCollector("deviceAttributes", async (warn) => {
  const api = chromeApi()?.enterprise?.deviceAttributes;
  if (!api) {
    warn("enterprise.deviceAttributes is not available (it needs ChromeOS and a force-install by policy).");
    return undefined;
  }
  const entries = await Promise.all(
    Object.entries(attributes).map(async ([field, method]) => {
      const fn = api[method] as (() => Promise<string>) | undefined;
      const value = await callApi(`enterprise.deviceAttributes.${method}`, fn && (() => fn()), warn);
      if (value === "") warn(`enterprise.deviceAttributes.${method} answered empty (user not affiliated, or not set).`);
      return [field, typeof value === "string" ? value : undefined] as const;
    }),
  );
  return compact(Object.fromEntries(entries));
});
