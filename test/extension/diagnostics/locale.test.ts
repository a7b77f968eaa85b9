import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { runCollector } from "../../../extension/diagnostics/collector";
import locale from "../../../extension/diagnostics/locale";

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe("locale collector", () => {
  it("reports time zone, locale and UI language", async () => {
    vi.stubGlobal("navigator", { language: "es-MX" });
    vi.spyOn(fakeBrowser.i18n, "getUILanguage").mockReturnValue("es-419");
    const result = await runCollector(locale, 200);
    expect(result.warnings).toEqual([]);
    expect(result.data).toEqual({
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      locale: "es-MX",
      uiLanguage: "es-419",
    });
  });
});
