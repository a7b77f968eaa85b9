import { afterEach, describe, expect, it, vi } from "vitest";
import { runCollector } from "../../../extension/diagnostics/collector";
import network from "../../../extension/diagnostics/network";
import { answers, hangs, rejects, restoreChrome, stubChrome, throws } from "../chrome-stubs";

afterEach(() => {
  restoreChrome();
  vi.unstubAllGlobals();
});

describe("network collector", () => {
  it("reads online state, connection type and the managed network details", async () => {
    vi.stubGlobal("navigator", { onLine: true, connection: { type: "wifi", effectiveType: "4g", downlink: 9.5 } });
    stubChrome(
      "enterprise.networkingAttributes.getNetworkDetails",
      answers({ macAddress: "AA:BB:CC:00:11:22", ipv4: "10.1.2.3" }),
    );
    expect(await runCollector(network, 200)).toEqual({
      data: {
        online: true,
        connectionType: "wifi",
        effectiveType: "4g",
        downlinkMbps: 9.5,
        macAddress: "AA:BB:CC:00:11:22",
        ipv4: "10.1.2.3",
      },
      warnings: [],
    });
  });

  it("still reports online state when the enterprise API is missing", async () => {
    vi.stubGlobal("navigator", { onLine: false });
    const result = await runCollector(network, 200);
    expect(result.data).toEqual({ online: false });
    expect(result.warnings).toEqual([expect.stringContaining("networkingAttributes is not available")]);
  });

  it.each([
    ["throws", throws()],
    ["rejects", rejects()],
    ["hangs", hangs()],
  ])("keeps online state when getNetworkDetails %s", async (_, getNetworkDetails) => {
    vi.stubGlobal("navigator", { onLine: true });
    stubChrome("enterprise.networkingAttributes.getNetworkDetails", getNetworkDetails);
    const result = await runCollector(network, 180);
    expect(result.data).toEqual({ online: true });
    expect(result.warnings).toHaveLength(1);
  });

  it('drops "" addresses (user not affiliated)', async () => {
    vi.stubGlobal("navigator", { onLine: true });
    stubChrome("enterprise.networkingAttributes.getNetworkDetails", answers({ macAddress: "", ipv4: "" }));
    expect((await runCollector(network, 200)).data).toEqual({ online: true });
  });
});
