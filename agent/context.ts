/** What every route can reach: the store, the configuration, the log and the clock. */

import type { RequestIdVariables } from "hono/request-id";
import type { Kysely } from "kysely";
import type { GoogleSignIn } from "./auth/google-signin";
import type { AgentConfig } from "./config";
import type { Logger } from "./log";
import type { StaffPrincipal } from "./services/staff-accounts";
import type { Database, DeviceEnrollment } from "./store/schema";

export interface AgentDeps {
  db: Kysely<Database>;
  config: AgentConfig;
  log: Logger;
  now: () => Date;
  /** Present when Google sign-in is configured. */
  googleSignIn?: GoogleSignIn;
}

export type AgentEnv = {
  Variables: RequestIdVariables & {
    enrollment: DeviceEnrollment;
    staff: StaffPrincipal;
  };
};
