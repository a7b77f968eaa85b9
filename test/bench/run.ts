/**
 * `npm run bench -- <name>`: compiles one benchmark script under test/bench/ as the agent is
 * compiled (`agent/build.ts`), runs it with plain Node and passes its figures through. The code
 * measured is the code `npm start` and `npm run agent` run, without a TypeScript loader.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { compile } from "../../agent/build";
import { projectRoot } from "../../agent/root";

const benches = ["audit", "queue", "sync"];

const benchName = process.argv[2];
if (!benchName || !benches.includes(benchName)) {
  console.error(`Name a benchmark: ${benches.join(", ")} (npm run bench -- queue).`);
  process.exit(2);
}
const outDir = path.join(projectRoot, ".output", "bench");
await compile({ [benchName]: `test/bench/${benchName}.ts` }, outDir);
const child = spawn(process.execPath, ["--enable-source-maps", path.join(outDir, `${benchName}.mjs`)], {
  stdio: "inherit",
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
