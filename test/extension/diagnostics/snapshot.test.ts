import { afterEach, describe, expect, it, vi } from "vitest";
import { collectDiagnostics, collectorDeadlineMs } from "../../../extension/diagnostics";
import { diagnosticsSnapshot } from "../../../shared";
import { deviceAttributesApi, hangs, restoreChrome, stubChrome } from "../chrome-stubs";

afterEach(() => {
  restoreChrome();
  vi.useRealTimers();
});

describe("collectDiagnostics", () => {
  it("finishes within ~200 ms even when every enterprise and system API hangs, and fits the shared schema", async () => {
    stubChrome(
      "enterprise.deviceAttributes",
      deviceAttributesApi({ getDeviceSerialNumber: hangs(), getDirectoryDeviceId: hangs() }),
    );
    stubChrome("enterprise.networkingAttributes.getNetworkDetails", hangs());
    stubChrome("system.cpu.getInfo", hangs());
    stubChrome("system.memory.getInfo", hangs());
    stubChrome("system.display.getInfo", hangs());
    stubChrome("system.storage.getInfo", hangs());
    stubChrome("identity.getProfileUserInfo", hangs());
    vi.useFakeTimers();
    let settled = false;
    const collecting = collectDiagnostics().finally(() => {
      settled = true;
    });
    // On the clock, not the wall: the snapshot is complete once the collectors' deadline has passed.
    await vi.advanceTimersByTimeAsync(collectorDeadlineMs + 1);
    expect(settled).toBe(true);
    const snapshot = await collecting;
    expect(diagnosticsSnapshot.parse(snapshot)).toEqual(snapshot);
    expect(snapshot.deviceAttributes).toEqual({
      assetId: "LHS-0042",
      annotatedLocation: "Room 114",
      hostname: "lhs-cb-0042",
    });
    const collectorsWarned = new Set(snapshot.warnings.map((w) => w.collector));
    for (const name of ["cpu", "memory", "displays", "removableStorage", "user", "network", "deviceAttributes"]) {
      expect(collectorsWarned).toContain(name);
    }
  });
});
