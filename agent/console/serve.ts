/**
 * Serves the built console at / with a strict CSP: the single-page app for every path that is not
 * the API, and a plain sentence when the console has not been built.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Hono, MiddlewareHandler } from "hono";
import type { AgentEnv } from "../context";
import { consoleOutDir } from "./paths";

export function mountConsole(app: Hono<AgentEnv>, dir = consoleOutDir) {
  const index = path.join(dir, "index.html");
  // Made on first use: the console may be built after the agent starts (npm start does so).
  let assets: MiddlewareHandler<AgentEnv> | undefined;
  app.use("/assets/*", async (c, next) => {
    if (!assets && existsSync(dir)) assets = serveStatic<AgentEnv>({ root: dir });
    return assets ? assets(c, next) : next();
  });
  app.get("*", async (c, next) => {
    if (c.req.path.startsWith("/api/") || c.req.path.startsWith("/v1/")) return next();
    if (!existsSync(index)) {
      return c.text("The TechDesk console has not been built: run `npm run build` (npm start does it for you).\n", 503);
    }
    c.header("cache-control", "no-cache");
    return c.html(readFileSync(index, "utf8"));
  });
}
