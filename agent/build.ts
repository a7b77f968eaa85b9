/**
 * Compiles the agent to JavaScript in .output/agent/, which `npm start` and `npm run agent` run with
 * plain Node: the running agent carries no TypeScript loader (about 30 MB less memory than under
 * tsx) and starts without compiling. Dependencies stay in node_modules; the sources are bundled.
 * `npm run bench` compiles its scripts the same way, so it measures the code as it runs.
 */
import path from "node:path";
import { build } from "esbuild";
import { isMainModule, projectRoot } from "./root";

export const agentOutDir = path.join(projectRoot, ".output", "agent");

/** Bundles each entry (name → source path from the project root) into `outDir/name.mjs`. */
export async function compile(entryPoints: Record<string, string>, outDir: string): Promise<void> {
  await build({
    entryPoints,
    absWorkingDir: projectRoot,
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    jsx: "automatic",
    jsxImportSource: "preact",
    sourcemap: "linked",
    logLevel: "warning",
  });
}

export function buildAgent(): Promise<void> {
  return compile({ main: "agent/main.ts", start: "agent/cli/start.ts" }, agentOutDir);
}

if (isMainModule(import.meta.url)) await buildAgent();
