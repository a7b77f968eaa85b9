/**
 * Where the console's sources are and where its build goes. Kept apart from `vite.config.ts` so the
 * running agent, which only serves the build, does not load Vite and its plugins.
 */
import path from "node:path";
import { projectRoot } from "../root";

export const consoleRoot = path.join(projectRoot, "agent", "console");
export const consoleOutDir = path.join(projectRoot, ".output", "console");
