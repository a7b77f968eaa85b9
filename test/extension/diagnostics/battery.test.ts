import { afterEach, describe, expect, it, vi } from "vitest";
import battery from "../../../extension/diagnostics/battery";
import { runCollector } from "../../../extension/diagnostics/collector";
import { hangs } from "../chrome-stubs";

afterEach(() => vi.unstubAllGlobals());

describe("battery collector (popup)", () => {
  it("reports level and charging, dropping Infinity times", async () => {
    vi.stubGlobal("navigator", {
      getBattery: vi.fn().mockResolvedValue({
        level: 0.18,
        charging: false,
        chargingTime: Number.POSITIVE_INFINITY,
        dischargingTime: 3600,
      }),
    });
    expect(await runCollector(battery, 200)).toEqual({
      data: { level: 0.18, charging: false, dischargingTimeS: 3600 },
      warnings: [],
    });
  });

  it("warns where there is no battery API (the service worker) or it hangs", async () => {
    vi.stubGlobal("navigator", {});
    expect((await runCollector(battery, 200)).warnings).toEqual([expect.stringContaining("not available")]);
    vi.stubGlobal("navigator", { getBattery: hangs() });
    expect((await runCollector(battery, 180)).warnings).toEqual([expect.stringContaining("did not answer")]);
  });
});
