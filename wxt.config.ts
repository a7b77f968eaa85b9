import preact from "@preact/preset-vite";
import { defineConfig } from "wxt";

/**
 * The public half of the key that fixes the extension id (`hclbedhgmicmhmlakomhbojpgaokbmko`), so
 * managed policy, the agent's CORS rule and the tests can name it. The private half is not needed
 * for unpacked builds; the Chrome Web Store signs published builds with its own.
 */
export const extensionKey =
  "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAry0uQDyb8z7xSKPvMAtOuPyTNwKpDxsm9DaaDIdfg1NVlBEt5IYuzIrsxFoX3y5gzmsj7Y8lwu7irdWMXDukWp4YkjuujYLBXRFe6cLDRd9EWkfk68XP1fIN9mnPD+Mozo8TH0neznMXshydr/MpD7pDf1UWqVtNuUFs6zL+OAFWzgESHIizxEm4U9M6DTdgK2uBI50whxo6OrCmpqJOWgzw4Dd4S6ywBwN6gfNcxokb3NuSXLIKBOoc7aXGMm1T5v68S/isPR3NKUWxaNpniCkwWs0nhCpeHoew4uZYVXymMOJFWGJZImahgZtuz3U+xwO3/jetdkfecng7scZ2ZQIDAQAB";

export default defineConfig({
  srcDir: "extension",
  // WXT copies <root>/public by default; ours lives beside the extension's sources.
  publicDir: "extension/public",
  outDir: ".output",
  imports: false,
  modules: ["@wxt-dev/webextension-polyfill"],
  manifestVersion: 3,
  vite: () => ({
    plugins: [preact()],
    build: {
      rollupOptions: {
        // zod's sources carry /* @__PURE__ */ hints Rollup cannot place; they are harmless.
        onLog(level, log, handler) {
          if (log.code !== "INVALID_ANNOTATION") handler(level, log);
        },
      },
    },
  }),
  manifest: {
    name: "TechDesk",
    description: "Tell your school's tech team what is wrong with this Chromebook, in one click.",
    key: extensionKey,
    minimum_chrome_version: "110",
    permissions: [
      "storage",
      // The outbox keeps reports, screenshots included, while the agent is out of reach; without this
      // `storage.local` holds 10 MB (5 MB before Chrome 114). No prompt: Chrome grants it silently.
      "unlimitedStorage",
      "alarms",
      "activeTab",
      "identity",
      "identity.email",
      "system.cpu",
      "system.memory",
      "system.display",
      "system.storage",
      "enterprise.deviceAttributes",
      "enterprise.networkingAttributes",
      // The filter audit's device side reads the proxy mode (a force-installed extension gets this
      // without a prompt).
      "proxy",
    ],
    // Lets the device side see whether required extensions are present and enabled; the district
    // grants it by policy, or a developer from the options page.
    optional_permissions: ["management"],
    // No host permissions: the agent answers CORS for this extension's origin only.
    storage: { managed_schema: "managed_schema.json" },
    action: { default_title: "Get help with this Chromebook" },
  },
});
