import { afterEach, describe, expect, it } from "vitest";
import { runCollector } from "../../../extension/diagnostics/collector";
import removableStorage from "../../../extension/diagnostics/removable-storage";
import { answers, hangs, restoreChrome, stubChrome } from "../chrome-stubs";

afterEach(restoreChrome);

describe("removableStorage collector", () => {
  it("lists removable media", async () => {
    stubChrome(
      "system.storage.getInfo",
      answers([{ id: "1", name: "SanDisk", type: "removable", capacity: 32_000_000_000 }]),
    );
    expect(await runCollector(removableStorage, 200)).toEqual({
      data: [{ name: "SanDisk", type: "removable", capacityBytes: 32_000_000_000 }],
      warnings: [],
    });
  });

  it("answers an empty list when nothing is plugged in, and warns when the API hangs", async () => {
    stubChrome("system.storage.getInfo", answers([]));
    expect(await runCollector(removableStorage, 200)).toEqual({ data: [], warnings: [] });
    stubChrome("system.storage.getInfo", hangs());
    expect((await runCollector(removableStorage, 180)).warnings).toEqual([expect.stringContaining("did not answer")]);
  });
});
