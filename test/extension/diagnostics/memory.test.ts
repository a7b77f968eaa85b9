import { afterEach, describe, expect, it } from "vitest";
import { runCollector } from "../../../extension/diagnostics/collector";
import memory from "../../../extension/diagnostics/memory";
import { answers, hangs, restoreChrome, stubChrome, throws } from "../chrome-stubs";

afterEach(restoreChrome);

describe("memory collector", () => {
  it("reports capacity and available bytes", async () => {
    stubChrome("system.memory.getInfo", answers({ capacity: 4_123_000_000, availableCapacity: 812_000_000 }));
    expect(await runCollector(memory, 200)).toEqual({
      data: { capacityBytes: 4_123_000_000, availableBytes: 812_000_000 },
      warnings: [],
    });
  });

  it.each([
    ["missing", undefined],
    ["throwing", throws()],
    ["hanging", hangs()],
  ])("warns when system.memory is %s", async (_, getInfo) => {
    stubChrome("system.memory.getInfo", getInfo);
    const result = await runCollector(memory, 180);
    expect(result).toEqual({ warnings: [expect.any(String)] });
  });
});
