/**
 * The agent's configuration, read from environment variables and validated once at start-up.
 * A wrong value stops start-up with a sentence that names the variable.
 */
import path from "node:path";
import cron from "node-cron";
import { z } from "zod";
import { parseTrustedProxy, type TrustedProxy } from "./auth/client-address";
import { GoogleAuthConfigError, type GoogleAuthMode, googleAuthMode } from "./google/auth";

/** The extension's fixed id (from the manifest `key` in wxt.config.ts). */
export const techdeskExtensionId = "hclbedhgmicmhmlakomhbojpgaokbmko";

const list = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);

/** The demo district's first school; the Google sandbox seeds the same OU. */
export const demoSchool = "/Schools/Lincoln High";

export interface EnrollmentTokenConfig {
  token: string;
  /** The school (OU path) whose devices use this token; their tickets belong to it. */
  school?: string;
}

/** `token`, or `/OU path=token` so each school's devices enrol into that school. */
const enrollmentTokenEntry = z.string().transform((item, ctx): EnrollmentTokenConfig => {
  const at = item.lastIndexOf("=");
  const hasSchool = at > 0 && item.startsWith("/");
  const token = (hasSchool ? item.slice(at + 1) : item).trim();
  const school = hasSchool ? item.slice(0, at).trim() : undefined;
  if (token.length < 16) ctx.addIssue({ code: "custom", message: "each token must be at least 16 characters" });
  return school ? { token, school } : { token };
});

/** Each entry an address or a CIDR block; a wrong one is named, so it can be found in a long list. */
const trustedProxies = list.transform((entries, ctx) =>
  entries.flatMap((entry) => {
    const proxy = parseTrustedProxy(entry);
    if (!proxy)
      ctx.addIssue({
        code: "custom",
        message: `"${entry}" is not an IP address or a CIDR block such as 10.0.0.0/8 or fd00::/8`,
      });
    return proxy ? [proxy] : [];
  }),
);

function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false; // RangeError: node-cron would throw it later, at start-up, without naming the variable
  }
}

const cronExpression = z
  .string()
  .refine((value) => cron.validate(value), "must be a cron expression such as 30 1 * * *");

const environment = z.object({
  TECHDESK_MODE: z.enum(["production", "demo"]).default("production"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  ENROLLMENT_TOKENS: list
    .pipe(
      z
        .array(enrollmentTokenEntry)
        .min(1)
        // A device enrols into its token's school: one token for two schools would pick one silently.
        .refine(
          (entries) => new Set(entries.map((e) => e.token)).size === entries.length,
          "each token may appear only once (one token, one school)",
        ),
    )
    .optional(),
  STAFF_API_TOKEN: z.string().min(24, "must be at least 24 characters").optional(),
  EXTENSION_IDS: list
    .pipe(z.array(z.string().regex(/^[a-p]{32}$/, "each must be a 32-letter extension id (a–p)")))
    .default([techdeskExtensionId]),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .default(120),
  SESSION_MAX_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  SIGN_IN_MAX_FAILURES: z.coerce.number().int().min(3).max(100).default(5),
  /**
   * Enrollments one client address may make in an hour (and at once). A school's Chromebooks share
   * its NAT address, and behind a reverse proxy not in TRUSTED_PROXIES every device shares the
   * proxy's: the default lets a whole school enrol on a Monday morning more than twice over; a
   * district rolling TechDesk out to every device at once behind such a proxy raises it (or names the
   * proxy). It only slows a script minting credentials.
   */
  ENROLLMENTS_PER_ADDRESS_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(2000),
  /**
   * Reverse proxies (addresses and CIDR blocks) whose X-Forwarded-For names the client, so that the
   * per-address limits count each Chromebook and each person behind them rather than the proxy.
   * Empty by default: then the header is believed from nobody, since any client can write one.
   */
  TRUSTED_PROXIES: trustedProxies.default([]),
  SIGN_IN_LOCK_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  GOOGLE_CUSTOMER_ID: z
    .string()
    .regex(/^(my_customer|C[0-9a-z]+)$/i, "must be my_customer or a customer id like C01abc23")
    .default("my_customer"),
  SANDBOX_LATENCY_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  JOBS_ENABLED: z.enum(["true", "false"]).default("true"),
  JOBS_TIMEZONE: z
    .string()
    .refine(knownTimeZone, "must be an IANA time zone such as America/New_York")
    .default(Intl.DateTimeFormat().resolvedOptions().timeZone),
  JOB_INVENTORY_FULL_CRON: cronExpression.default("30 1 * * *"),
  JOB_INVENTORY_INCREMENTAL_CRON: cronExpression.default("*/15 * * * *"),
  /** Evenings by default: devices still missing, and loaners overdue, are disabled before morning. */
  JOB_LOCKDOWN_CRON: cronExpression.default("0 20 * * *"),
  JOB_FILTER_AUDIT_CRON: cronExpression.default("0 * * * *"),
  JOB_APP_RECONCILE_CRON: cronExpression.default("30 * * * *"),
  LOANER_GRACE_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 30)
    .default(24),
  /** Every quarter hour: a student's ticket moves up within minutes of its SLA running out. */
  JOB_SLA_CRON: cronExpression.default("*/15 * * * *"),
  /** Hours a student tech team ticket may go unworked before it moves to the school IT lead. */
  SLA_TIER1_HOURS: z.coerce
    .number()
    .int("must be a whole number of hours")
    .min(1)
    .max(24 * 30)
    .default(24),
  /** Hours a ticket with the school IT lead or a coach may go unworked before they are reminded. */
  SLA_OVERDUE_HOURS: z.coerce
    .number()
    .int("must be a whole number of hours")
    .min(1)
    .max(24 * 90)
    .default(72),
  /**
   * Whether Saturdays and Sundays (in JOBS_TIMEZONE) count towards the SLA hours. Skipped by default:
   * a ticket filed on Friday afternoon is the student tech team's on Monday, not the IT lead's.
   */
  SLA_WEEKENDS: z.enum(["skip", "count"]).default("skip"),
  /** Every OU directly under this one is a school (return instructions are set per school). */
  SCHOOLS_OU: z.string().regex(/^\//, "must be an OU path starting with /").default("/Schools"),
  GOOGLE_OIDC_CLIENT_ID: z.string().min(10).optional(),
  GOOGLE_OIDC_CLIENT_SECRET: z.string().min(10).optional(),
  GOOGLE_SIGNIN_DOMAINS: list
    .pipe(z.array(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, "each must be a domain such as district.org")))
    .optional(),
});

export interface AgentConfig {
  mode: "production" | "demo";
  host: string;
  port: number;
  publicUrl?: string;
  store: { databaseUrl: string } | { sqliteFile: string };
  dataDir: string;
  enrollmentTokens: EnrollmentTokenConfig[];
  staffApiToken: string;
  extensionIds: string[];
  maxBodyBytes: number;
  enrollmentsPerAddressHour: number;
  /** Proxies whose X-Forwarded-For is believed about the client's address (none: the socket's peer). */
  trustedProxies: TrustedProxy[];
  logLevel: z.infer<typeof environment>["LOG_LEVEL"];
  sessions: { idleMinutes: number; maxHours: number; maxFailures: number; lockMinutes: number };
  google: { mode: GoogleAuthMode; customerId: string; sandboxLatencyMs: number };
  jobs: {
    enabled: boolean;
    timezone: string;
    inventoryFullCron: string;
    inventoryIncrementalCron: string;
    lockdownCron: string;
    filterAuditCron: string;
    appReconcileCron: string;
    loanerGraceHours: number;
    slaCron: string;
    slaTier1Hours: number;
    slaOverdueHours: number;
    slaWeekends: "skip" | "count";
  };
  schoolsOu: string;
  /** Google sign-in (OpenID Connect), when configured: only these domains' accounts may sign in. */
  googleSignIn?: { clientId: string; clientSecret: string; domains: string[]; redirectUri: string };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Secrets the demo generates for itself when none are configured (never in production). */
export interface GeneratedSecrets {
  enrollmentToken: string;
  staffApiToken: string;
}

/**
 * `npm start`'s environment: demo mode (sign-ins with every right, their passwords printed) unless
 * TECHDESK_MODE says otherwise, but only on the sandbox. With Google credentials configured it runs
 * in production mode against the real district.
 */
export function startEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  let sandboxed = true;
  try {
    sandboxed = googleAuthMode(env).kind === "sandbox";
  } catch {
    // a wrong Google setting: loadConfig explains it
  }
  return { ...env, TECHDESK_MODE: env.TECHDESK_MODE || (sandboxed ? "demo" : "production") };
}

export function loadConfig(env: Record<string, string | undefined>, demoSecrets?: () => GeneratedSecrets): AgentConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = environment.safeParse(cleaned);
  if (!parsed.success) {
    const sentences = parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`);
    throw new ConfigError(`The agent's configuration is wrong. ${sentences.join("; ")}.`);
  }
  const e = parsed.data;
  let enrollmentTokens = e.ENROLLMENT_TOKENS;
  let staffApiToken = e.STAFF_API_TOKEN;
  if ((!enrollmentTokens || !staffApiToken) && e.TECHDESK_MODE === "demo" && demoSecrets) {
    const generated = demoSecrets();
    enrollmentTokens ??= [{ token: generated.enrollmentToken, school: demoSchool }];
    staffApiToken ??= generated.staffApiToken;
  }
  if (!enrollmentTokens)
    throw new ConfigError(
      "ENROLLMENT_TOKENS is not set: give one or more comma-separated tokens of at least 16 characters, each optionally as /School OU=token.",
    );
  if (!staffApiToken)
    throw new ConfigError("STAFF_API_TOKEN is not set: give a random token of at least 24 characters.");
  const dataDir = path.resolve(e.DATA_DIR);
  let mode: GoogleAuthMode;
  try {
    mode = googleAuthMode(cleaned);
  } catch (error) {
    if (error instanceof GoogleAuthConfigError) throw new ConfigError(error.message);
    throw error;
  }
  // Demo mode makes sign-ins with every right and prints their passwords: never against a real district.
  if (e.TECHDESK_MODE === "demo" && mode.kind !== "sandbox") {
    throw new ConfigError(
      "TECHDESK_MODE is demo, which runs only on the built-in Google sandbox, but Google credentials are configured: set TECHDESK_MODE=production (with ENROLLMENT_TOKENS and STAFF_API_TOKEN) to work with the real district.",
    );
  }
  return {
    google: { mode, customerId: e.GOOGLE_CUSTOMER_ID, sandboxLatencyMs: e.SANDBOX_LATENCY_MS },
    jobs: {
      enabled: e.JOBS_ENABLED === "true",
      timezone: e.JOBS_TIMEZONE,
      inventoryFullCron: e.JOB_INVENTORY_FULL_CRON,
      inventoryIncrementalCron: e.JOB_INVENTORY_INCREMENTAL_CRON,
      lockdownCron: e.JOB_LOCKDOWN_CRON,
      filterAuditCron: e.JOB_FILTER_AUDIT_CRON,
      appReconcileCron: e.JOB_APP_RECONCILE_CRON,
      loanerGraceHours: e.LOANER_GRACE_HOURS,
      slaCron: e.JOB_SLA_CRON,
      slaTier1Hours: e.SLA_TIER1_HOURS,
      slaOverdueHours: e.SLA_OVERDUE_HOURS,
      slaWeekends: e.SLA_WEEKENDS,
    },
    schoolsOu: e.SCHOOLS_OU.replace(/(.)\/$/, "$1"),
    googleSignIn: googleSignIn(e),
    mode: e.TECHDESK_MODE,
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    store: e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : { sqliteFile: path.join(dataDir, "techdesk.sqlite") },
    dataDir,
    enrollmentTokens,
    staffApiToken,
    extensionIds: e.EXTENSION_IDS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    enrollmentsPerAddressHour: e.ENROLLMENTS_PER_ADDRESS_HOUR,
    trustedProxies: e.TRUSTED_PROXIES,
    logLevel: e.LOG_LEVEL,
    sessions: {
      idleMinutes: e.SESSION_IDLE_MINUTES,
      maxHours: e.SESSION_MAX_HOURS,
      maxFailures: e.SIGN_IN_MAX_FAILURES,
      lockMinutes: e.SIGN_IN_LOCK_MINUTES,
    },
  };
}

function googleSignIn(e: z.infer<typeof environment>): AgentConfig["googleSignIn"] {
  const {
    GOOGLE_OIDC_CLIENT_ID: clientId,
    GOOGLE_OIDC_CLIENT_SECRET: clientSecret,
    GOOGLE_SIGNIN_DOMAINS: domains,
  } = e;
  if (!clientId && !clientSecret && !domains) return undefined;
  if (!clientId || !clientSecret) {
    throw new ConfigError("Google sign-in needs both GOOGLE_OIDC_CLIENT_ID and GOOGLE_OIDC_CLIENT_SECRET.");
  }
  if (!domains?.length) {
    throw new ConfigError(
      "GOOGLE_SIGNIN_DOMAINS must name the district's Google domains (comma-separated) when Google sign-in is on.",
    );
  }
  if (!e.PUBLIC_URL) {
    throw new ConfigError(
      "PUBLIC_URL must be set (https://…) when Google sign-in is on: Google sends people back to it.",
    );
  }
  const redirectUri = new URL("/api/auth/google/callback", e.PUBLIC_URL).toString();
  return { clientId, clientSecret, domains: domains.map((d) => d.toLowerCase()), redirectUri };
}
