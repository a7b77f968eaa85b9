/**
 * Where the console's sources are and where its build goes. Kept apart from `vite.config.ts` so the
 * running agent, which only serves the build, does not load Vite and its plugins.
 */
import { fileURLToPath } from "node:url";

export const consoleRoot = fileURLToPath(new URL(".", import.meta.url));
export const consoleOutDir = fileURLToPath(new URL("../../.output/console", import.meta.url));
