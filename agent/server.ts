/** Starts and stops the agent: opens the store (running migrations) and listens. */
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { createApp } from "./app";
import type { AgentConfig } from "./config";
import { createLogger, type Logger } from "./log";
import { openStore, type Store } from "./store/db";

export interface RunningAgent {
  url: string;
  store: Store;
  close(): Promise<void>;
}

export async function startAgent(
  config: AgentConfig,
  log: Logger = createLogger(config.logLevel),
): Promise<RunningAgent> {
  const store = await openStore(config.store);
  const app = createApp({ db: store.db, config, log, now: () => new Date() });
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
      s.once("error", reject);
    });
  } catch (error) {
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new Error(`Port ${config.port} on ${config.host} is already in use: set PORT to a free port.`);
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  const url = config.publicUrl ?? `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
  log.info("agent listening", { url, database: store.dialect });
  return {
    url,
    store,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await store.close();
    },
  };
}
