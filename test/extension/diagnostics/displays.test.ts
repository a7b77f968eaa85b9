import { afterEach, describe, expect, it } from "vitest";
import { runCollector } from "../../../extension/diagnostics/collector";
import displays from "../../../extension/diagnostics/displays";
import { diagnosticsSnapshot } from "../../../shared/diagnostics";
import { answers, restoreChrome, stubChrome, throws } from "../chrome-stubs";

afterEach(restoreChrome);

describe("displays collector", () => {
  it("lists each display's size and kind", async () => {
    stubChrome(
      "system.display.getInfo",
      answers([
        {
          name: "Internal",
          isPrimary: true,
          isInternal: true,
          bounds: { width: 1366, height: 768, left: 0, top: 0 },
          dpiX: 135,
          rotation: 0,
        },
        {
          name: "DELL P2419H",
          isPrimary: false,
          isInternal: false,
          bounds: { width: 1920, height: 1080, left: 0, top: 0 },
          dpiX: 96,
          rotation: 0,
        },
      ]),
    );
    const result = await runCollector(displays, 200);
    expect(result.warnings).toEqual([]);
    expect(result.data).toEqual([
      { name: "Internal", isPrimary: true, isInternal: true, widthPx: 1366, heightPx: 768, dpiX: 135, rotation: 0 },
      {
        name: "DELL P2419H",
        isPrimary: false,
        isInternal: false,
        widthPx: 1920,
        heightPx: 1080,
        dpiX: 96,
        rotation: 0,
      },
    ]);
  });

  it("warns when system.display is missing or throws", async () => {
    expect((await runCollector(displays, 200)).warnings).toHaveLength(1);
    stubChrome("system.display.getInfo", throws());
    expect((await runCollector(displays, 200)).warnings).toEqual([expect.stringContaining("failed: boom")]);
  });

  it("lists the first 16 of more displays, with a warning, so the report still goes", async () => {
    const many = Array.from({ length: 17 }, (_, i) => ({
      name: `Panel ${i + 1}`,
      isPrimary: i === 0,
      isInternal: false,
    }));
    stubChrome("system.display.getInfo", answers(many));
    const result = await runCollector(displays, 200);
    expect(result.data).toHaveLength(16);
    expect(result.warnings).toEqual([expect.stringContaining("17 displays attached; the first 16 are listed")]);
    expect(diagnosticsSnapshot.safeParse({ displays: result.data, warnings: [] }).success).toBe(true);
  });
});
