/**
 * The project's folder, found from this module's own place: the folder holding package.json above
 * it. The same answer from the sources (agent/) and from the compiled agent (.output/agent/).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${from}: is TechDesk installed whole?`);
  }
}

export const projectRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));
