/** `npm run bench -- <name>`: runs one benchmark script under test/bench/ and prints its figures. */
const benches: Record<string, () => Promise<unknown>> = {
  audit: () => import("./audit"),
  queue: () => import("./queue"),
  sync: () => import("./sync"),
};

const benchName = process.argv[2];
const bench = benchName ? benches[benchName] : undefined;
if (!bench) {
  console.error(`Name a benchmark: ${Object.keys(benches).join(", ")} (npm run bench -- queue).`);
  process.exit(2);
}
await bench();

export {};
