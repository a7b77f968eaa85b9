/** Whether the device is online, its connection type, and (on managed ChromeOS) MAC and IP addresses. */
import { chromeApi } from "../chrome-api";
import { callApi, compact, defineCollector } from "./collector";

interface NetworkInformation {
  type?: string;
  effectiveType?: string;
  downlink?: number;
}

export default defineCollector("network", async (warn) => {
  const nav = globalThis.navigator as (Navigator & { connection?: NetworkInformation }) | undefined;
  const api = chromeApi()?.enterprise?.networkingAttributes;
  if (!api) warn("enterprise.networkingAttributes is not available (it needs ChromeOS and a force-install by policy).");
  const details = api
    ? await callApi(
        "enterprise.networkingAttributes.getNetworkDetails",
        api.getNetworkDetails && (() => api.getNetworkDetails()),
        warn,
      )
    : undefined;
  return compact({
    online: nav?.onLine,
    connectionType: nav?.connection?.type,
    effectiveType: nav?.connection?.effectiveType,
    downlinkMbps: nav?.connection?.downlink,
    macAddress: details?.macAddress,
    ipv4: details?.ipv4,
    ipv6: details?.ipv6,
  });
});
