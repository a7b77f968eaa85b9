import { describe, expect, it } from "vitest";
import { isOwnPage, popupRequest } from "../../extension/messages";
import { sampleReport } from "../support/agent";

const origin = "chrome-extension://hclbedhgmicmhmlakomhbojpgaokbmko/";

describe("popup messages", () => {
  it("accepts only this extension's own pages", () => {
    expect(
      isOwnPage(
        { id: "hclbedhgmicmhmlakomhbojpgaokbmko", url: `${origin}popup.html` },
        "hclbedhgmicmhmlakomhbojpgaokbmko",
        origin,
      ),
    ).toBe(true);
    expect(isOwnPage({ id: "other", url: `${origin}popup.html` }, "hclbedhgmicmhmlakomhbojpgaokbmko", origin)).toBe(
      false,
    );
    expect(
      isOwnPage(
        { id: "hclbedhgmicmhmlakomhbojpgaokbmko", url: "https://evil.example/" },
        "hclbedhgmicmhmlakomhbojpgaokbmko",
        origin,
      ),
    ).toBe(false);
    expect(isOwnPage({ id: "hclbedhgmicmhmlakomhbojpgaokbmko" }, "hclbedhgmicmhmlakomhbojpgaokbmko", origin)).toBe(
      false,
    );
  });

  it("validates requests by schema", () => {
    expect(popupRequest.safeParse({ type: "submitReport", report: sampleReport() }).success).toBe(true);
    expect(popupRequest.safeParse({ type: "submitReport", report: { category: "screen" } }).success).toBe(false);
    expect(popupRequest.safeParse({ type: "fetch", url: "https://anything.example" }).success).toBe(false);
  });
});
