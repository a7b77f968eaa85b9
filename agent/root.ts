/**
 * The project's folder, found from this module's own place: the folder holding package.json above
 * it. The same answer from the sources (agent/) and from the compiled agent (.output/agent/).
 */
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${from}: is TechDesk installed whole?`);
  }
}

export const projectRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/**
 * Whether the module at `moduleUrl` is the script Node was started with (`tsx agent/build.ts`).
 * Compared as real paths turned into URLs, so a folder with a space (percent-encoded in the URL) or
 * reached through a symlink still counts.
 */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script || !existsSync(script)) return false;
  return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(script);
}
