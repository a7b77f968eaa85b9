/** Starts and stops the agent: opens the store (running migrations) and listens. */
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { createApp } from "./app";
import type { AgentConfig } from "./config";
import { connectGoogle, type GoogleConnection } from "./google/connect";
import { directoryAdapter } from "./google/directory";
import { policyAdapter } from "./google/policy";
import { telemetryAdapter } from "./google/telemetry";
import { filterJobs } from "./jobs/filter-jobs";
import { inventoryJobs, inventoryLeaseMs } from "./jobs/inventory-jobs";
import { lockdownJob } from "./jobs/lockdown-job";
import { JobRunner } from "./jobs/runner";
import { startScheduler } from "./jobs/scheduler";
import { slaJob } from "./jobs/sla-job";
import { createLogger, type Logger } from "./log";
import { ActionWorker } from "./services/action-worker";
import { fullSyncUnfinished } from "./services/inventory-sync";
import { RemediationWorker } from "./services/remediations";
import { openStore, type Store } from "./store/db";

export interface RunningAgent {
  url: string;
  store: Store;
  google: GoogleConnection;
  jobs: JobRunner;
  /** Settles once the start-up inventory check is done, with any sync it started (not a later retry). */
  startup: Promise<void>;
  actions: ActionWorker;
  remediations: RemediationWorker;
  close(): Promise<void>;
}

/** How long a shutdown lets requests in flight finish before it cuts their connections. */
const drainMs = 10_000;

/**
 * Refuses new connections, lets requests in flight finish (for up to `drainMs`) and settles once
 * every connection is closed. A keep-alive connection is closed as soon as it falls idle, not when
 * its keep-alive timeout runs out.
 */
function stopListening(server: ServerType): Promise<void> {
  const http = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
  return new Promise((resolve) => {
    const idle = setInterval(() => http.closeIdleConnections?.(), 50);
    const cut = setTimeout(() => http.closeAllConnections?.(), drainMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(cut);
      resolve();
    });
  });
}

export async function startAgent(
  config: AgentConfig,
  log: Logger = createLogger(config.logLevel),
): Promise<RunningAgent> {
  const store = await openStore(config.store);
  const google = await connectGoogle(config, log);
  const now = () => new Date();
  const actions = new ActionWorker(store.db, directoryAdapter(google.client), log, { now });
  const filterGoogle = { directory: directoryAdapter(google.client), policy: policyAdapter(google.client) };
  const remediations = new RemediationWorker(store.db, filterGoogle, log, { now });
  const jobs = new JobRunner(
    store.db,
    [
      ...inventoryJobs(config, directoryAdapter(google.client), telemetryAdapter(google.client)),
      lockdownJob(config, store.db, actions, now),
      ...filterJobs(config, filterGoogle, remediations, now),
      slaJob(config, now),
    ],
    log,
  );
  const scheduler = config.jobs.enabled ? startScheduler(jobs) : undefined;
  // Actions requested before a restart (or parked while Google failed) carry on from here.
  actions.start();
  remediations.start();
  const app = createApp({
    db: store.db,
    config,
    log,
    now,
    jobs,
    ...(scheduler ? { schedule: scheduler } : {}),
    google,
    actions,
    remediations,
  });
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
      s.once("error", reject);
    });
  } catch (error) {
    await scheduler?.stop();
    await actions.stop();
    await remediations.stop();
    await google.close();
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new Error(`Port ${config.port} on ${config.host} is already in use: set PORT to a free port.`);
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  const url = config.publicUrl ?? `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
  log.info("agent listening", { url, database: store.dialect, google: google.status.mode });
  void google.check();
  // A fresh install gets its inventory at once, and a full sync an agent stopped in the middle of
  // carries on now rather than at the next night's run. A crashed agent's lease holds the job until
  // it runs out: then it is tried once more.
  let retry: NodeJS.Timeout | undefined;
  const startupFailed = (error: unknown) => log.error("start-up inventory sync failed", { error: String(error) });
  const startupSync = async (again: boolean) => {
    const known = await store.db.selectFrom("devices").select("deviceId").limit(1).execute();
    if (known.length && !(await fullSyncUnfinished(store.db))) return;
    const outcome = await jobs.run("inventory-full-sync", "startup");
    if (outcome.ran || !again) return;
    log.info("inventory full sync not started at start-up; trying again when its lease runs out", {
      reason: outcome.reason,
    });
    retry = setTimeout(() => void startupSync(false).catch(startupFailed), inventoryLeaseMs + 5_000);
    retry.unref();
  };
  const startup = config.jobs.enabled ? startupSync(true).catch(startupFailed) : Promise.resolve();
  return {
    url,
    store,
    google,
    jobs,
    startup,
    actions,
    remediations,
    async close() {
      clearTimeout(retry);
      // New requests are refused from now on (a load balancer sends them to another replica), while
      // those already in flight finish — for up to `drainMs`, then their connections are cut. Only
      // then do the workers, Google and the store they use go away.
      const drained = stopListening(server);
      await scheduler?.stop();
      jobs.standDownWaiting();
      await jobs.idle();
      await actions.stop();
      await remediations.stop();
      await drained;
      // A run still going is recorded as stopped and its lease let go, so the next start resumes it.
      await jobs.abandonRunning("Stopped unfinished: the agent was shut down while it ran.");
      await google.close();
      await store.close();
    },
  };
}
