import { afterEach, describe, expect, it } from "vitest";
import { runCollector } from "../../../extension/diagnostics/collector";
import deviceAttributes from "../../../extension/diagnostics/device-attributes";
import { answers, deviceAttributesApi, hangs, rejects, restoreChrome, stubChrome, throws } from "../chrome-stubs";

afterEach(restoreChrome);

describe("deviceAttributes collector", () => {
  it("reads every attribute on a managed Chromebook", async () => {
    stubChrome("enterprise.deviceAttributes", deviceAttributesApi());
    expect(await runCollector(deviceAttributes, 200)).toEqual({
      data: {
        directoryDeviceId: "a1b2c3d4-dir",
        serialNumber: "5CD1234XYZ",
        assetId: "LHS-0042",
        annotatedLocation: "Room 114",
        hostname: "lhs-cb-0042",
      },
      warnings: [],
    });
  });

  it("warns and returns nothing when the API is missing (not ChromeOS, or not force-installed)", async () => {
    const result = await runCollector(deviceAttributes, 200);
    expect(result.data).toBeUndefined();
    expect(result.warnings).toEqual([expect.stringContaining("not available")]);
  });

  it("loses only the field whose call throws or rejects", async () => {
    stubChrome(
      "enterprise.deviceAttributes",
      deviceAttributesApi({ getDeviceAssetId: throws(), getDeviceHostname: rejects() }),
    );
    const result = await runCollector(deviceAttributes, 200);
    expect(result.data).toEqual({
      directoryDeviceId: "a1b2c3d4-dir",
      serialNumber: "5CD1234XYZ",
      annotatedLocation: "Room 114",
    });
    expect(result.warnings).toEqual([
      expect.stringContaining("getDeviceAssetId failed: boom"),
      expect.stringContaining("getDeviceHostname failed: Not allowed"),
    ]);
  });

  it("gives up on a call that hangs, keeping the others", async () => {
    stubChrome("enterprise.deviceAttributes", deviceAttributesApi({ getDeviceSerialNumber: hangs() }));
    const result = await runCollector(deviceAttributes, 180);
    expect(result.data?.serialNumber).toBeUndefined();
    expect(result.data?.directoryDeviceId).toBe("a1b2c3d4-dir");
    expect(result.warnings).toEqual([expect.stringContaining("getDeviceSerialNumber did not answer")]);
  });

  it('treats "" (user not affiliated) as no value, with a warning', async () => {
    const empty = answers("");
    stubChrome(
      "enterprise.deviceAttributes",
      deviceAttributesApi({
        getDirectoryDeviceId: empty,
        getDeviceSerialNumber: empty,
        getDeviceAssetId: empty,
        getDeviceAnnotatedLocation: empty,
        getDeviceHostname: empty,
      }),
    );
    const result = await runCollector(deviceAttributes, 200);
    expect(result.data).toBeUndefined();
    expect(result.warnings).toHaveLength(5);
    expect(result.warnings.every((w) => w.includes("answered empty"))).toBe(true);
  });
});
