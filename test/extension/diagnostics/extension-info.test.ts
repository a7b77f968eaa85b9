import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { runCollector } from "../../../extension/diagnostics/collector";
import extensionInfo from "../../../extension/diagnostics/extension-info";

afterEach(() => vi.restoreAllMocks());

describe("extension collector", () => {
  it("reports the version and install type", async () => {
    vi.spyOn(fakeBrowser.runtime, "getManifest").mockReturnValue({
      manifest_version: 3,
      name: "TechDesk",
      version: "1.4.2",
    });
    vi.spyOn(fakeBrowser.management, "getSelf").mockResolvedValue({ installType: "admin" } as never);
    expect(await runCollector(extensionInfo, 200)).toEqual({
      data: { version: "1.4.2", installType: "admin" },
      warnings: [],
    });
  });

  it("still reports the version when management.getSelf fails", async () => {
    vi.spyOn(fakeBrowser.runtime, "getManifest").mockReturnValue({
      manifest_version: 3,
      name: "TechDesk",
      version: "1.4.2",
    });
    vi.spyOn(fakeBrowser.management, "getSelf").mockRejectedValue(new Error("nope"));
    const result = await runCollector(extensionInfo, 200);
    expect(result.data).toEqual({ version: "1.4.2" });
    expect(result.warnings).toHaveLength(1);
  });
});
