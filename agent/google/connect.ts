/**
 * Connects the agent to Google as configured: real Google with the chosen credentials, or the
 * sandbox started in-process on loopback. Also checks the connection and keeps the result for the
 * Settings page, in words.
 */
import type { AgentConfig } from "../config";
import type { Logger } from "../log";
import { type RunningSandbox, startSandbox } from "../sandbox/server";
import { describeMode, googleAuthClient } from "./auth";
import { CircuitOpenError } from "./circuit-breaker";
import {
  createGoogleClient,
  type GoogleAuthOption,
  GoogleCallError,
  type GoogleClient,
  type GoogleClientOptions,
} from "./client";
import { directoryAdapter } from "./directory";
import { retryableReasons } from "./retry";

export interface GoogleStatus {
  mode: string;
  description: string;
  customerId: string;
  ok?: boolean;
  message?: string;
  checkedAt?: string;
}

export interface GoogleConnection {
  client: GoogleClient;
  sandbox?: RunningSandbox;
  status: GoogleStatus;
  check(): Promise<GoogleStatus>;
  close(): Promise<void>;
}

/** Turns what Google answered into a sentence an admin can act on. */
export function explainGoogleError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/unauthorized_client/.test(text))
    return "Google refused the service account: grant it domain-wide delegation for TechDesk's scopes in the Admin console (Security → API controls).";
  if (/invalid_grant/.test(text))
    return "Google refused the credentials (invalid_grant): check the key, the admin subject, and the machine's clock.";
  if (error instanceof CircuitOpenError) return `Google has been failing for a while: ${text}`;
  const failure = error instanceof GoogleCallError ? error.failure : undefined;
  if (failure?.status === 403 && failure.reason && retryableReasons.has(failure.reason))
    return `Google is throttling TechDesk's calls (${failure.reason}) and did not answer within the retries; the check runs again later. (${text})`;
  if (failure?.reason === "accessNotConfigured")
    return `The API is not enabled in the Google Cloud project of TechDesk's credentials: enable the Admin SDK API, Chrome Policy API and Chrome Management API there (APIs & Services). (${text})`;
  if (failure?.status === 403 || (!failure && /403/.test(text)))
    return `Google answered 403: the acting account lacks an admin role with ChromeOS device rights. (${text})`;
  return `Google could not be reached or refused the call: ${text}`;
}

/** For tests: quotas other than Google's, in the sandbox and the client alike. */
export interface ConnectOptions {
  sandbox?: { policyReadsPerSecond?: number; policyWritesPerMinute?: number; policyWriteWindowMs?: number };
  limits?: GoogleClientOptions["limits"];
  retry?: GoogleClientOptions["retry"];
}

export async function connectGoogle(
  config: AgentConfig,
  log: Logger,
  options: ConnectOptions = {},
): Promise<GoogleConnection> {
  const mode = config.google.mode;
  let sandbox: RunningSandbox | undefined;
  if (mode.kind === "sandbox")
    sandbox = await startSandbox({ behaviour: { latencyMs: config.google.sandboxLatencyMs }, ...options.sandbox });
  const client = createGoogleClient({
    limits: options.limits,
    retry: options.retry,
    auth: (await googleAuthClient(mode)) as GoogleAuthOption,
    rootUrl: sandbox?.url,
    customerId: config.google.customerId,
    actingUser: mode.kind === "delegated" ? mode.subject : mode.kind,
    log,
  });
  const status: GoogleStatus = {
    mode: mode.kind,
    description: describeMode(mode),
    customerId: config.google.customerId,
  };
  let checking: Promise<GoogleStatus> | undefined;
  async function checkNow(): Promise<GoogleStatus> {
    try {
      const units = await directoryAdapter(client).listOrgUnits({ quick: true });
      Object.assign(status, {
        ok: true,
        message: `Connected: ${units.length} organizational units visible.`,
        checkedAt: new Date().toISOString(),
      });
    } catch (error) {
      Object.assign(status, { ok: false, message: explainGoogleError(error), checkedAt: new Date().toISOString() });
      log.warn("google check failed", { message: status.message });
    }
    return status;
  }

  return {
    client,
    sandbox,
    status,
    check() {
      // The start-up check and a click on "Check the connection" share one call.
      checking ??= checkNow().finally(() => {
        checking = undefined;
      });
      return checking;
    },
    async close() {
      await sandbox?.close();
    },
  };
}
