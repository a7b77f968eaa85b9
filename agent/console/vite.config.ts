/** Builds the staff console (Preact) into .output/console, which the agent serves at /. */
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export const consoleRoot = fileURLToPath(new URL(".", import.meta.url));
export const consoleOutDir = fileURLToPath(new URL("../../.output/console", import.meta.url));

export default defineConfig({
  root: consoleRoot,
  base: "/",
  plugins: [preact()],
  logLevel: "warn",
  build: {
    outDir: consoleOutDir,
    emptyOutDir: true,
    // No inline scripts: the console's CSP allows only 'self'.
    modulePreload: { polyfill: false },
    rollupOptions: {
      onLog(level, log, handler) {
        if (log.code !== "INVALID_ANNOTATION") handler(level, log);
      },
    },
  },
});
