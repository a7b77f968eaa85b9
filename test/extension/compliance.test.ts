/**
 * The device side of the filter audit in the extension: what it reports with and without the
 * `management` permission, how it degrades when an API fails, and how often it sends.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { collectCompliance, complianceEveryMs, reportCompliance } from "../../extension/compliance";
import { complianceReport } from "../../shared";
import { restoreChrome, stubChrome } from "./chrome-stubs";

const techdesk = "hclbedhgmicmhmlakomhbojpgaokbmko";
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** `chrome.proxy.settings.get`, callback style, answering `details`. */
const proxyAnswering = (details: unknown) => ({
  get: vi.fn((_: unknown, callback: (d: unknown) => void) => callback(details)),
});

beforeEach(() => {
  vi.spyOn(fakeBrowser.runtime, "getManifest").mockReturnValue({
    manifest_version: 3,
    name: "TechDesk",
    version: "0.1.0",
  });
  vi.stubGlobal("chrome", fakeBrowser);
});
afterEach(() => {
  restoreChrome();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("collectCompliance", () => {
  it("lists the extensions and the proxy mode when management is granted", async () => {
    stubChrome(
      "permissions.contains",
      vi.fn(async () => true),
    );
    stubChrome(
      "management.getAll",
      vi.fn(async () => [
        { id: techdesk, name: "TechDesk", enabled: true, installType: "admin" },
        { id: "aaaabbbbccccddddeeeeffffgggghhhh", name: "Filter", enabled: false, installType: "admin" },
        { id: "not-a-chrome-id", name: "Odd", enabled: true, installType: "other" },
      ]),
    );
    stubChrome(
      "proxy.settings",
      proxyAnswering({ value: { mode: "system" }, levelOfControl: "controllable_by_this_extension" }),
    );
    const report = await collectCompliance();
    expect(complianceReport.parse(report)).toEqual(report);
    expect(report).toMatchObject({
      managementGranted: true,
      extensions: [
        { id: techdesk, enabled: true, installType: "admin" },
        { id: "aaaabbbbccccddddeeeeffffgggghhhh", enabled: false },
      ],
      proxy: { mode: "system", levelOfControl: "controllable_by_this_extension" },
      warnings: [],
    });
  });

  it("says so when management is not granted, and still reads the proxy", async () => {
    stubChrome(
      "permissions.contains",
      vi.fn(async () => false),
    );
    const getAll = vi.fn();
    stubChrome("management.getAll", getAll);
    stubChrome(
      "proxy.settings",
      proxyAnswering({ value: { mode: "fixed_servers" }, levelOfControl: "controlled_by_other_extensions" }),
    );
    const report = await collectCompliance();
    expect(getAll).not.toHaveBeenCalled();
    expect(report.managementGranted).toBe(false);
    expect(report.extensions).toEqual([]);
    expect(report.proxy).toEqual({ mode: "fixed_servers", levelOfControl: "controlled_by_other_extensions" });
    expect(report.warnings.join(" ")).toContain("management permission is not granted");
  });

  it("degrades to warnings when the APIs fail or are missing", async () => {
    stubChrome(
      "permissions.contains",
      vi.fn(async () => true),
    );
    stubChrome(
      "management.getAll",
      vi.fn(async () => Promise.reject(new Error("nope"))),
    );
    stubChrome("proxy", undefined);
    const report = await collectCompliance();
    expect(complianceReport.parse(report)).toEqual(report);
    expect(report.extensions).toEqual([]);
    expect(report.proxy).toBeUndefined();
    expect(report.warnings.some((w) => w.includes("management.getAll failed"))).toBe(true);
    expect(report.warnings.some((w) => w.includes("proxy.settings.get"))).toBe(true);
  });
});

describe("reportCompliance", () => {
  beforeEach(async () => {
    await fakeBrowser.storage.managed.set({ agentUrl: "https://agent.example", enrollmentToken: "district-token" });
    stubChrome(
      "permissions.contains",
      vi.fn(async () => false),
    );
    stubChrome("proxy.settings", proxyAnswering({ value: { mode: "direct" } }));
  });

  it("enrols, sends, and then waits six hours before sending again", async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(json(201, { deviceId: "d1", credential: "tdd_one" }))
      .mockImplementation(async () => json(200, { recorded: true }));
    vi.stubGlobal("fetch", fetch);
    expect(await reportCompliance({ now: 1_000 })).toBe("sent");
    const [url, init] = fetch.mock.calls[1] as [string, RequestInit];
    expect(url).toBe("https://agent.example/v1/compliance");
    expect((init.headers as Record<string, string>).authorization).toBe("Bearer tdd_one");
    expect(JSON.parse(String(init.body))).toMatchObject({ managementGranted: false, proxy: { mode: "direct" } });
    expect(await reportCompliance({ now: 1_000 + complianceEveryMs - 1 })).toBe("sent recently");
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(await reportCompliance({ now: 1_000 + complianceEveryMs })).toBe("sent");
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("sends again when the last report's time lies ahead (the clock was set back since)", async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(json(201, { deviceId: "d1", credential: "tdd_one" }))
      .mockImplementation(async () => json(200, { recorded: true }));
    vi.stubGlobal("fetch", fetch);
    const yearMs = 365 * 24 * 60 * 60_000;
    expect(await reportCompliance({ now: 10 * yearMs })).toBe("sent");
    expect(await reportCompliance({ now: 9 * yearMs })).toBe("sent");
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("throws when the agent cannot be reached, so the next alarm tries again", async () => {
    vi.stubGlobal(
      "fetch",
      vi
        .fn()
        .mockResolvedValueOnce(json(201, { deviceId: "d1", credential: "tdd_one" }))
        .mockRejectedValue(new TypeError("Failed to fetch")),
    );
    await expect(reportCompliance({ now: 5_000 })).rejects.toThrow("Could not reach the agent");
    // Nothing was recorded as sent: the next try goes out.
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => json(200, { recorded: true })),
    );
    expect(await reportCompliance({ now: 6_000 })).toBe("sent");
  });
});
