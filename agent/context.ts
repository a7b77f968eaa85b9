/** What every route can reach: the store, the configuration, the log and the clock. */

import type { RequestIdVariables } from "hono/request-id";
import type { Kysely } from "kysely";
import type { DeviceLimits } from "./auth/device-throttle";
import type { GoogleSignIn } from "./auth/google-signin";
import type { AgentConfig } from "./config";
import type { GoogleConnection } from "./google/connect";
import type { JobRunner } from "./jobs/runner";
import type { JobSchedule } from "./jobs/scheduler";
import type { Logger } from "./log";
import type { ActionWorker } from "./services/action-worker";
import type { RemediationWorker } from "./services/remediations";
import type { StaffPrincipal } from "./services/staff-accounts";
import type { Database, DeviceEnrollment } from "./store/schema";

export interface AgentDeps {
  db: Kysely<Database>;
  config: AgentConfig;
  log: Logger;
  now: () => Date;
  /** Present when Google sign-in is configured. */
  googleSignIn?: GoogleSignIn;
  /** The running agent's scheduled jobs (absent in route tests that do not need them). */
  jobs?: JobRunner;
  /** Present when this agent runs the jobs on their schedules (`JOBS_ENABLED`). */
  schedule?: Pick<JobSchedule, "nextRun">;
  /** The connection to Google or the sandbox (absent in route tests that do not need it). */
  google?: GoogleConnection;
  /** Carries device actions to Google (absent in route tests that do not need it). */
  actions?: ActionWorker;
  /** Writes queued filter remediations and app pushes to Google (present with `google`). */
  remediations?: RemediationWorker;
  /**
   * Replaces some of the device endpoints' rate limits: for a test harness that sends more than any
   * device would (the security matrix files hundreds of tickets from one device).
   */
  deviceLimits?: Partial<DeviceLimits>;
}

export type AgentEnv = {
  Variables: RequestIdVariables & {
    enrollment: DeviceEnrollment;
    staff: StaffPrincipal;
  };
};
