/** An agent app over a fresh store for route tests, driven through `app.request()` (no port). */
import { randomUUID } from "node:crypto";
import { createApp } from "../../agent/app";
import type { DeviceLimits } from "../../agent/auth/device-throttle";
import { type AgentConfig, loadConfig } from "../../agent/config";
import { connectGoogle, type GoogleConnection } from "../../agent/google/connect";
import { directoryAdapter } from "../../agent/google/directory";
import { policyAdapter } from "../../agent/google/policy";
import { filterJobs } from "../../agent/jobs/filter-jobs";
import { JobRunner } from "../../agent/jobs/runner";
import { startScheduler } from "../../agent/jobs/scheduler";
import { slaJob } from "../../agent/jobs/sla-job";
import { createLogger } from "../../agent/log";
import { ActionWorker } from "../../agent/services/action-worker";
import { RemediationWorker } from "../../agent/services/remediations";
import { openStore, type Store, type StoreLocation } from "../../agent/store/db";
import { type DiagnosticsSnapshot, type ProblemReport, reportReceipt, type Ticket } from "../../shared";

export const enrollmentToken = "test-enrollment-token-0001";
export const lincoln = "/Schools/Lincoln High";
export const washington = "/Schools/Washington Middle";
export const lincolnToken = "lincoln-enrollment-token-01";
export const washingtonToken = "washington-enrollment-token-1";
export const staffToken = "test-staff-token-000000000000001";

export function testConfig(overrides: Record<string, string> = {}): AgentConfig {
  return loadConfig({
    ENROLLMENT_TOKENS: `${enrollmentToken},${lincoln}=${lincolnToken},${washington}=${washingtonToken}`,
    STAFF_API_TOKEN: staffToken,
    LOG_LEVEL: "silent",
    DATA_DIR: "test/.tmp",
    JOBS_ENABLED: "false",
    ...overrides,
  });
}

export interface TestAgent {
  app: ReturnType<typeof createApp>;
  store: Store;
  config: AgentConfig;
  jobs: JobRunner;
  /** Present with `google`: carries device actions to the sandbox (kicked by the routes; drain to wait). */
  actions?: ActionWorker;
  /** Present with `google`: writes queued remediations (kicked by the routes; drain to wait). */
  remediations?: RemediationWorker;
  google?: GoogleConnection;
  /** Enrols a device and returns its credential. */
  enroll(device?: Record<string, string>, token?: string): Promise<string>;
  /** Files a sample report from the device with `credential`; answers the ticket. */
  file(credential: string, overrides?: Partial<ProblemReport>): Promise<Ticket>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** A job that does nothing but record its run: for the jobs routes. */
export const noopJob = {
  name: "noop",
  title: "No-op",
  description: "Does nothing.",
  schedule: "0 3 * * *",
  exclusive: { group: "noop", waitMs: 60_000 },
  run: async () => ({ ok: true }),
};

/** A job that stands down while `noop` runs (they share a group). */
export const noopFollowerJob = {
  name: "noop-follower",
  title: "No-op follower",
  description: "Does nothing, never while No-op runs.",
  schedule: "15 3 * * *",
  exclusive: { group: "noop", waitMs: 0 },
  run: async () => ({ ok: true }),
};

export async function createTestAgent(
  location: StoreLocation = { sqliteFile: ":memory:" },
  overrides: Record<string, string> = {},
  now: () => Date = () => new Date(),
  /** `sla`: the SLA escalation job joins the jobs, on this agent's clock (`now`). */
  options: { google?: boolean; schedule?: boolean; deviceLimits?: Partial<DeviceLimits>; sla?: boolean } = {},
): Promise<TestAgent> {
  const config = testConfig(overrides);
  const store = await openStore(location);
  const log = createLogger("silent");
  // Chrome Policy reads unpaced: route tests check what is read, not Google's pace (the client's
  // tests and the audit benchmark do); writes keep Google's quota.
  const google: GoogleConnection | undefined = options.google
    ? await connectGoogle(config, log, {
        sandbox: { policyReadsPerSecond: 0 },
        limits: { policy: { concurrency: 10, limit: 10_000, windowMs: 1000 } },
      })
    : undefined;
  const actions = google
    ? new ActionWorker(store.db, directoryAdapter(google.client), log, { now, commandPollMs: 20, backoffMs: 50 })
    : undefined;
  const filterGoogle = google
    ? { directory: directoryAdapter(google.client), policy: policyAdapter(google.client) }
    : undefined;
  const remediations = filterGoogle
    ? new RemediationWorker(store.db, filterGoogle, log, { now, pollMs: 100, backoffMs: 50 })
    : undefined;
  const jobs = new JobRunner(
    store.db,
    [
      noopJob,
      noopFollowerJob,
      ...(filterGoogle && remediations ? filterJobs(config, filterGoogle, remediations, now) : []),
      ...(options.sla ? [slaJob(config, now)] : []),
    ],
    log,
  );
  // The jobs on their node-cron schedules, as `JOBS_ENABLED` puts them in a running agent.
  const schedule = options.schedule ? startScheduler(jobs) : undefined;
  const app = createApp({
    db: store.db,
    config,
    log,
    now,
    jobs,
    ...(schedule ? { schedule } : {}),
    google,
    actions,
    remediations,
    ...(options.deviceLimits ? { deviceLimits: options.deviceLimits } : {}),
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    Promise.resolve(
      app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
  const get = (path: string, headers: Record<string, string> = {}) => Promise.resolve(app.request(path, { headers }));
  return {
    app,
    store,
    config,
    jobs,
    actions,
    remediations,
    google,
    post,
    get,
    async enroll(device = { serialNumber: "5CD1234XYZ", directoryDeviceId: randomUUID() }, token = enrollmentToken) {
      const response = await post("/v1/enroll", { enrollmentToken: token, device, extensionVersion: "0.1.0" });
      if (response.status !== 201) throw new Error(`enroll answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { credential: string }).credential;
    },
    async file(credential, overrides = {}) {
      const response = await post("/v1/reports", sampleReport(overrides), bearer(credential));
      if (response.status !== 201) throw new Error(`report answered ${response.status}: ${await response.text()}`);
      return reportReceipt.parse(await response.json()).ticket;
    },
    close: async () => {
      await schedule?.stop();
      await actions?.stop();
      await remediations?.stop();
      await google?.close();
      await store.close();
    },
  };
}

export function sampleDiagnostics(overrides: Partial<DiagnosticsSnapshot> = {}): DiagnosticsSnapshot {
  return {
    platform: { os: "cros", arch: "x86-64", browserVersion: "126.0.6478.132", platformVersion: "15886.44.0" },
    cpu: { modelName: "Intel(R) Celeron(R) N4500 @ 1.10GHz", cores: 2, load: 0.42 },
    memory: { capacityBytes: 4_000_000_000, availableBytes: 900_000_000 },
    deviceAttributes: { serialNumber: "5CD1234XYZ", assetId: "LHS-0042", directoryDeviceId: "a1b2c3" },
    network: { online: true, connectionType: "wifi" },
    user: { email: "student@example.org" },
    extension: { version: "0.1.0", installType: "admin" },
    locale: { timeZone: "America/Chicago", locale: "en-US" },
    battery: { level: 0.18, charging: false },
    warnings: [
      { collector: "deviceAttributes", message: "enterprise.deviceAttributes.getDeviceHostname answered empty." },
    ],
    ...overrides,
  };
}

export function sampleReport(overrides: Partial<ProblemReport> = {}): ProblemReport {
  return {
    idempotencyKey: randomUUID(),
    category: "screen",
    note: "The screen flickers when I open the lid.",
    clientTime: new Date().toISOString(),
    diagnostics: sampleDiagnostics(),
    ...overrides,
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
