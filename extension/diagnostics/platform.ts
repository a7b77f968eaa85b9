/** OS, architecture and the full browser and ChromeOS versions. */
import { browser } from "wxt/browser";
import { callApi, compact, defineCollector } from "./collector";

interface HighEntropyValues {
  platformVersion?: string;
  model?: string;
  fullVersionList?: { brand: string; version: string }[];
}
interface UserAgentData {
  getHighEntropyValues(hints: string[]): Promise<HighEntropyValues>;
}

function userAgentData(): UserAgentData | undefined {
  return (globalThis.navigator as { userAgentData?: UserAgentData } | undefined)?.userAgentData;
}

export default defineCollector("platform", async (warn) => {
  const [info, hints] = await Promise.all([
    callApi(
      "runtime.getPlatformInfo",
      browser.runtime?.getPlatformInfo && (() => browser.runtime.getPlatformInfo()),
      warn,
    ),
    callApi(
      "navigator.userAgentData",
      userAgentData() && (() => userAgentData()?.getHighEntropyValues(["platformVersion", "model", "fullVersionList"])),
      warn,
    ),
  ]);
  const chrome = hints?.fullVersionList?.find((b) => b.brand === "Google Chrome" || b.brand === "Chromium");
  return compact({
    os: info?.os,
    arch: info?.arch,
    browserVersion: chrome?.version,
    platformVersion: hints?.platformVersion,
    model: hints?.model,
  });
});
