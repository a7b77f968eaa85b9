import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { runCollector } from "../../../extension/diagnostics/collector";
import platform from "../../../extension/diagnostics/platform";
import { restoreChrome } from "../chrome-stubs";

afterEach(() => {
  restoreChrome();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe("platform collector", () => {
  it("reads OS and arch, and the full versions from userAgentData", async () => {
    vi.spyOn(fakeBrowser.runtime, "getPlatformInfo").mockResolvedValue({
      os: "cros",
      arch: "x86-64",
    });
    vi.stubGlobal("navigator", {
      userAgentData: {
        getHighEntropyValues: vi.fn().mockResolvedValue({
          platformVersion: "15886.44.0",
          model: "",
          fullVersionList: [
            { brand: "Not/A)Brand", version: "8.0.0.0" },
            { brand: "Google Chrome", version: "126.0.6478.132" },
          ],
        }),
      },
    });
    expect(await runCollector(platform, 200)).toEqual({
      data: { os: "cros", arch: "x86-64", browserVersion: "126.0.6478.132", platformVersion: "15886.44.0" },
      warnings: [],
    });
  });

  it("keeps the platform info when userAgentData is missing", async () => {
    vi.spyOn(fakeBrowser.runtime, "getPlatformInfo").mockResolvedValue({
      os: "linux",
      arch: "x86-64",
    });
    vi.stubGlobal("navigator", {});
    const result = await runCollector(platform, 200);
    expect(result.data).toEqual({ os: "linux", arch: "x86-64" });
    expect(result.warnings).toEqual([expect.stringContaining("userAgentData is not available")]);
  });
});
