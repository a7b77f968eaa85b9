import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { mountConsole } from "../../agent/console/serve";
import type { AgentEnv } from "../../agent/context";
import { createTestAgent } from "../support/agent";

const dir = mkdtempSync(path.join(tmpdir(), "techdesk-console-"));
mkdirSync(path.join(dir, "assets"));
writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>TechDesk console</title>");
writeFileSync(path.join(dir, "assets", "app.js"), "console.log(1)");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the console's pages", () => {
  it("serves the app shell for console paths and its assets, but not for the API", async () => {
    const app = new Hono<AgentEnv>();
    mountConsole(app, dir);
    app.get("/api/thing", (c) => c.json({ ok: true }));
    expect(await (await app.request("/")).text()).toContain("TechDesk console");
    expect(await (await app.request("/tickets/12")).text()).toContain("TechDesk console");
    expect(await (await app.request("/assets/app.js")).text()).toBe("console.log(1)");
    expect(await (await app.request("/api/thing")).json()).toEqual({ ok: true });
    expect((await app.request("/api/nothing")).status).toBe(404);
  });

  it("says the console is not built rather than failing", async () => {
    const app = new Hono<AgentEnv>();
    mountConsole(app, path.join(dir, "missing"));
    const response = await app.request("/");
    expect(response.status).toBe(503);
    expect(await response.text()).toMatch(/npm run build/);
  });

  it("sends a strict Content-Security-Policy", async () => {
    const agent = await createTestAgent();
    try {
      const csp = (await agent.get("/healthz")).headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
    } finally {
      await agent.close();
    }
  });
});
