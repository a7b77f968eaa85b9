/** Builds the staff console (Preact) into .output/console, which the agent serves at /. */
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";
import { consoleOutDir, consoleRoot } from "./paths";

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
