import { afterEach, describe, expect, it, vi } from "vitest";
import { runCollector } from "../../../extension/diagnostics/collector";
import cpu from "../../../extension/diagnostics/cpu";
import { hangs, restoreChrome, stubChrome, throws } from "../chrome-stubs";

afterEach(restoreChrome);

const sample = (user: number, kernel: number, total: number) => ({
  modelName: "Intel(R) Celeron(R) N4500 @ 1.10GHz",
  archName: "x86_64",
  numOfProcessors: 2,
  features: [],
  processors: [
    { usage: { user, kernel, idle: total - user - kernel, total } },
    { usage: { user, kernel, idle: total - user - kernel, total } },
  ],
});

describe("cpu collector", () => {
  it("reports model, cores and the busy share between two samples", async () => {
    const getInfo = vi
      .fn()
      .mockResolvedValueOnce(sample(100, 50, 1000))
      .mockResolvedValueOnce(sample(160, 90, 1200));
    stubChrome("system.cpu.getInfo", getInfo);
    const result = await runCollector(cpu, 400);
    // (60 + 40) busy of 200 ticks per core.
    expect(result).toEqual({
      data: { modelName: "Intel(R) Celeron(R) N4500 @ 1.10GHz", archName: "x86_64", cores: 2, load: 0.5 },
      warnings: [],
    });
  });

  it("keeps the model when the second sample fails", async () => {
    const getInfo = vi
      .fn()
      .mockResolvedValueOnce(sample(1, 1, 10))
      .mockRejectedValueOnce(new Error("gone"));
    stubChrome("system.cpu.getInfo", getInfo);
    const result = await runCollector(cpu, 400);
    expect(result.data).toEqual({ modelName: "Intel(R) Celeron(R) N4500 @ 1.10GHz", archName: "x86_64", cores: 2 });
    expect(result.warnings).toEqual([expect.stringContaining("second sample")]);
  });

  it.each([
    ["missing", undefined],
    ["throwing", throws()],
    ["hanging", hangs()],
  ])("warns when system.cpu is %s", async (_, getInfo) => {
    stubChrome("system.cpu.getInfo", getInfo);
    const result = await runCollector(cpu, 180);
    expect(result.data).toBeUndefined();
    expect(result.warnings.length).toBeGreaterThan(0);
  });
});
