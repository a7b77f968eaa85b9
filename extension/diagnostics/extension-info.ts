/** This extension's version and how it was installed (admin = force-installed by policy). */
import { browser } from "wxt/browser";
import { callApi, compact, defineCollector } from "./collector";

export default defineCollector("extension", async (warn) => {
  const self = await callApi(
    "management.getSelf",
    browser.management?.getSelf && (() => browser.management.getSelf()),
    warn,
  );
  return compact({
    version: browser.runtime.getManifest().version,
    installType: self?.installType,
  });
});
