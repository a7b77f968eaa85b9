import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeBrowser } from "wxt/testing/fake-browser";
import { optionsSettings, resolveSettings } from "../../extension/config";

afterEach(() => {
  fakeBrowser.reset();
  vi.unstubAllEnvs();
});

describe("resolveSettings", () => {
  it("prefers policy over the options page", async () => {
    await fakeBrowser.storage.managed.set({
      agentUrl: "https://techdesk.district.example",
      enrollmentToken: "from-policy",
    });
    await optionsSettings.setValue({ agentUrl: "http://localhost:9999", enrollmentToken: "from-options" });
    expect(await resolveSettings()).toEqual({
      settings: { agentUrl: "https://techdesk.district.example", enrollmentToken: "from-policy" },
      source: "policy",
      managed: true,
    });
  });

  it("falls back to the options page when there is no policy", async () => {
    await optionsSettings.setValue({ agentUrl: "http://localhost:9999", enrollmentToken: "from-options" });
    expect(await resolveSettings()).toMatchObject({ source: "options", managed: false });
  });

  it("ignores a policy value that is not a URL and says nothing is configured", async () => {
    await fakeBrowser.storage.managed.set({ agentUrl: "javascript:alert(1)", enrollmentToken: "x" });
    expect(await resolveSettings()).toEqual({ managed: true });
  });

  it("uses the values a local build baked in last", async () => {
    vi.stubEnv("WXT_AGENT_URL", "http://127.0.0.1:8787");
    vi.stubEnv("WXT_ENROLLMENT_TOKEN", "baked-in");
    expect(await resolveSettings()).toMatchObject({ source: "build", settings: { agentUrl: "http://127.0.0.1:8787" } });
  });
});
