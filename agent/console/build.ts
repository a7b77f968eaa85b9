/** Builds the console with Vite (used by `npm start`, `npm run build` and the browser tests). */
import { build } from "vite";
import { isMainModule } from "../root";
import { consoleOutDir } from "./paths";
import config from "./vite.config";

export async function buildConsole(): Promise<string> {
  await build({ ...config, configFile: false });
  return consoleOutDir;
}

if (isMainModule(import.meta.url)) {
  await buildConsole();
  console.log(`Console built into ${consoleOutDir}`);
}
