/**
 * The offline Google: one Hono app serving the Directory, Chrome Policy and Chrome Management
 * endpoints TechDesk uses, at their real paths, over a seeded district. `npm start` runs it
 * in-process when no Google credentials are configured; tests drive it through `googleapis`.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { registerDirectory } from "./directory";
import type { SandboxDistrict } from "./district";
import { googleError } from "./errors";
import { FaultPlan, type SandboxBehaviour } from "./faults";
import { defaultPolicyReadsPerSecond, defaultPolicyWritesPerMinute, registerPolicy } from "./policy";
import { seedDistrict } from "./seed";
import { registerTelemetry } from "./telemetry";

export interface SandboxContext {
  district: SandboxDistrict;
  faults: FaultPlan;
  /** Chrome Policy writes (batchModify/batchInherit calls) a customer may make a minute; 0 turns it off. */
  policyWritesPerMinute: number;
  /** The write quota's window: Google's minute, shorter in tests that watch writes queue. */
  policyWriteWindowMs: number;
  /** `policies:resolve` calls a user may make a second; 0 turns it off. */
  policyReadsPerSecond: number;
  /** Calls refused for the Chrome Policy quotas, so tests can tell pacing from retrying. */
  quotaRefusals: { reads: number; writes: number };
}

const droppedConnection = "connection dropped by the sandbox";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createSandboxApp(context: SandboxContext) {
  const app = new Hono();
  app.use(async function behaveLikeGoogle(c, next) {
    const { faults } = context;
    faults.calls += 1;
    if (faults.behaviour.latencyMs) await sleep(faults.behaviour.latencyMs);
    const user = c.req.header("authorization") ?? "anonymous";
    if (faults.overQuota(user)) {
      return googleError(
        c,
        403,
        "userRateLimitExceeded",
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.",
        "usageLimits",
      );
    }
    const fault = faults.take(c.req.method, c.req.path);
    if (!fault && faults.behaviour.randomFailureRate && Math.random() < faults.behaviour.randomFailureRate) {
      return googleError(c, 503, "backendError", "The service is currently unavailable.");
    }
    if (fault?.kind === "drop") {
      // Close the socket without an answer, as a dropped connection does.
      const incoming = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming;
      incoming?.socket?.destroy();
      throw new Error(droppedConnection);
    }
    if (fault?.kind === "rateLimit") return googleError(c, 403, fault.reason, "Rate limit exceeded.", "usageLimits");
    if (fault?.kind === "status") {
      const reason =
        fault.reason ??
        (fault.status === 429 ? "rateLimitExceeded" : fault.status === 503 ? "backendError" : "internalError");
      return googleError(c, fault.status, reason, "Injected by the sandbox.");
    }
    await next();
  });
  registerDirectory(app, context);
  registerPolicy(app, context);
  registerTelemetry(app, context);
  app.notFound((c) => googleError(c, 404, "notFound", `The sandbox has no endpoint ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => {
    // A dropped connection has no one to answer; anything else is the sandbox's own fault.
    if (error.message === droppedConnection) return c.body(null, 500);
    return googleError(c, 500, "internalError", error.message);
  });
  return app;
}

export interface RunningSandbox {
  url: string;
  context: SandboxContext;
  close(): Promise<void>;
}

export async function startSandbox(
  options: {
    district?: SandboxDistrict;
    behaviour?: Partial<SandboxBehaviour>;
    port?: number;
    policyWritesPerMinute?: number;
    policyWriteWindowMs?: number;
    policyReadsPerSecond?: number;
  } = {},
): Promise<RunningSandbox> {
  const context: SandboxContext = {
    district: options.district ?? seedDistrict(),
    faults: new FaultPlan(options.behaviour),
    policyWritesPerMinute: options.policyWritesPerMinute ?? defaultPolicyWritesPerMinute,
    policyWriteWindowMs: options.policyWriteWindowMs ?? 60_000,
    policyReadsPerSecond: options.policyReadsPerSecond ?? defaultPolicyReadsPerSecond,
    quotaRefusals: { reads: 0, writes: 0 },
  };
  const app = createSandboxApp(context);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: options.port ?? 0 }, () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    context,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
