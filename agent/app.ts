/** The agent's HTTP app: middleware, every route group, and the one error handler. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { createGoogleSignIn } from "./auth/google-signin";
import { sameOrigin } from "./auth/session";
import { mountConsole } from "./console/serve";
import type { AgentDeps, AgentEnv } from "./context";
import { ApiError, errorHandler, notFoundHandler } from "./errors";
import { auditRoutes } from "./routes/audit";
import { complianceRoutes } from "./routes/compliance";
import { consoleTicketRoutes } from "./routes/console-tickets";
import { deviceActionRoutes } from "./routes/device-actions";
import { deviceTicketRoutes } from "./routes/device-tickets";
import { deviceRoutes } from "./routes/devices";
import { enrollRoutes } from "./routes/enroll";
import { filterRoutes } from "./routes/filter";
import { googleSignInRoutes } from "./routes/google-signin";
import { healthRoutes } from "./routes/health";
import { jobRoutes } from "./routes/jobs";
import { notificationRoutes } from "./routes/notifications";
import { reportRoutes } from "./routes/reports";
import { returnInstructionRoutes } from "./routes/return-instructions";
import { sessionRoutes } from "./routes/session";
import { settingsRoutes } from "./routes/settings";
import { staffTicketRoutes } from "./routes/staff-tickets";
import { userRoutes } from "./routes/users";

/** Every route group; the convention test checks each file under routes/ is listed here. */
export const routeGroups = {
  health: healthRoutes,
  enroll: enrollRoutes,
  reports: reportRoutes,
  "device-tickets": deviceTicketRoutes,
  "staff-tickets": staffTicketRoutes,
  session: sessionRoutes,
  "google-signin": googleSignInRoutes,
  "console-tickets": consoleTicketRoutes,
  users: userRoutes,
  devices: deviceRoutes,
  jobs: jobRoutes,
  settings: settingsRoutes,
  "device-actions": deviceActionRoutes,
  notifications: notificationRoutes,
  audit: auditRoutes,
  "return-instructions": returnInstructionRoutes,
  filter: filterRoutes,
  compliance: complianceRoutes,
} as const;

/** `given.deviceLimits` replaces the device endpoints' rate limits (for test harnesses; see auth/device-throttle.ts). */
export function createApp(given: AgentDeps) {
  const google = given.config.googleSignIn;
  const deps: AgentDeps =
    google && !given.googleSignIn ? { ...given, googleSignIn: createGoogleSignIn(google) } : given;
  const allowedOrigins = new Set(deps.config.extensionIds.map((id) => `chrome-extension://${id}`));
  const app = new Hono<AgentEnv>();
  app.use(requestId());
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    }),
  );
  app.use(async function logRequest(c, next) {
    const started = performance.now();
    await next();
    deps.log.debug("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });
  // The extension calls from its own origin; no host permission is needed, and no other origin is allowed.
  app.use(
    "/v1/*",
    cors({
      origin: (origin) => (allowedOrigins.has(origin) ? origin : null),
      allowMethods: ["GET", "POST"],
      allowHeaders: ["content-type", "authorization", "idempotency-key"],
      // Retry-After tells the extension how long to wait after a 429; it is not CORS-safelisted.
      exposeHeaders: ["idempotent-replayed", "retry-after"],
      maxAge: 600,
    }),
  );
  app.use(
    "*",
    bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `The body is larger than ${deps.config.maxBodyBytes} bytes.`);
      },
    }),
  );
  // The console API: state-changing calls only from the console's own origin.
  app.use("/api/*", sameOrigin(deps));
  for (const routes of Object.values(routeGroups)) app.route("/", routes(deps));
  mountConsole(app);
  app.notFound(notFoundHandler);
  app.onError(errorHandler(deps.log));
  return app;
}

export type AgentApp = ReturnType<typeof createApp>;
