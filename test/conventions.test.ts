/**
 * Convention checks: every collector is registered, has a schema in shared/ and a test; every route
 * group is mounted and has a test. Adding a file without the rest fails here.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { routeGroups } from "../agent/app";
import { windowCollectors, workerCollectors } from "../extension/diagnostics";
import { collectorSchemas } from "../shared";

const root = path.resolve(import.meta.dirname, "..");
const sources = (dir: string) =>
  readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => f.replace(/\.ts$/, ""));

describe("collectors", () => {
  const files = sources("extension/diagnostics").filter((f) => f !== "collector" && f !== "index");
  const registered = [...workerCollectors, ...windowCollectors];

  it.each(files)("%s is registered, has a shared schema and a test", async (file) => {
    const collector = (await import(`../extension/diagnostics/${file}.ts`)).default;
    expect(registered).toContain(collector);
    expect(Object.keys(collectorSchemas)).toContain(collector.name);
    expect(existsSync(path.join(root, "test/extension/diagnostics", `${file}.test.ts`))).toBe(true);
  });

  it("every shared collector schema has its collector", () => {
    expect(registered.map((c) => c.name).sort()).toEqual(Object.keys(collectorSchemas).sort());
  });
});

describe("routes", () => {
  it.each(sources("agent/routes"))("%s is mounted and has a test", (file) => {
    expect(Object.keys(routeGroups)).toContain(file);
    expect(existsSync(path.join(root, "test/agent", `${file}.test.ts`))).toBe(true);
  });
});
