/**
 * Filter integrity: the baseline (what filter-related Chrome policies and force-installed apps each
 * OU subtree must have), and what an audit finds per OU and rule.
 */
import { z } from "zod";

/** The filter-related policy schemas a baseline may declare (see GOOGLE-APIS.md). */
export const filterSchemas = [
  "chrome.users.UrlBlocking",
  "chrome.users.SafeSearchRestrictedMode",
  "chrome.users.SafeSitesFilterBehavior",
  "chrome.users.IncognitoMode",
  "chrome.users.DeveloperTools",
  "chrome.users.BrowserGuestModeEnabled",
  "chrome.users.DnsOverHttps",
  "chrome.users.SimpleProxySettings",
  "chrome.devices.GuestMode",
] as const;
export type FilterSchema = (typeof filterSchemas)[number];

export const filterSchemaLabels: Record<FilterSchema, string> = {
  "chrome.users.UrlBlocking": "URL block and allow lists",
  "chrome.users.SafeSearchRestrictedMode": "SafeSearch and YouTube Restricted Mode",
  "chrome.users.SafeSitesFilterBehavior": "SafeSites adult-content filter",
  "chrome.users.IncognitoMode": "Incognito mode",
  "chrome.users.DeveloperTools": "Developer tools",
  "chrome.users.BrowserGuestModeEnabled": "Browser guest mode",
  "chrome.users.DnsOverHttps": "DNS over HTTPS",
  "chrome.users.SimpleProxySettings": "Proxy mode",
  "chrome.devices.GuestMode": "Device guest mode",
};

export const appInstallTypes = ["FORCED", "FORCED_AND_PIN_TO_TOOLBAR"] as const;

const ouPath = z.string().regex(/^\/[^\n]*$/, "an OU path starts with /");
const extensionId = /^[a-p]{32}$/;

export const baselineApp = z.object({
  /** `chrome:<extension id>`, as Chrome Policy's `app_id` target key. */
  appId: z
    .string()
    .refine((id) => extensionId.test(id.replace(/^chrome:/, "")), "an app id is chrome:<32 letters a-p>"),
  name: z.string().min(1).max(200),
  installType: z.enum(appInstallTypes),
  /** The extension's managed configuration (its managed storage), as JSON. */
  managedConfiguration: z.record(z.string(), z.unknown()).optional(),
});
export type BaselineApp = z.infer<typeof baselineApp>;

/**
 * Entries one URL list may hold: GOOGLE-APIS.md (`urlBlocklist`, `urlAllowlist`, ≤ 1,000 each), and
 * Google refuses a longer one outright ("Field urlBlocklist allows at most 1000 items").
 */
export const urlListLimit = 1000;

export const baselineRule = z.object({
  /** The subtree this rule covers: the OU and every OU under it (deeper rules win per policy). */
  ou: ouPath,
  /** Expected values per schema; only the fields given are checked. */
  policies: z.partialRecord(z.enum(filterSchemas), z.record(z.string(), z.unknown())).default({}),
  apps: z.array(baselineApp).default([]),
});
export type BaselineRule = z.infer<typeof baselineRule>;

export const baseline = z.object({
  /** Increases with every saved change; findings name the version they were checked against. */
  version: z.number().int().min(1),
  description: z.string().max(2000).optional(),
  rules: z.array(baselineRule).min(1).max(2000),
});
export type Baseline = z.infer<typeof baseline>;

/**
 * A baseline as it may be saved: no URL list Google would refuse (it could never be restored). Only
 * checked on saving, so a baseline stored before this rule still loads, to be fixed in its editor.
 */
export const baselineToSave = baseline.superRefine((saved, ctx) => {
  saved.rules.forEach((rule, index) => {
    const lists = rule.policies["chrome.users.UrlBlocking"] ?? {};
    for (const name of ["urlBlocklist", "urlAllowlist"]) {
      const list = lists[name];
      if (Array.isArray(list) && list.length > urlListLimit)
        ctx.addIssue({
          code: "custom",
          path: ["rules", index, "policies", "chrome.users.UrlBlocking", name],
          message: `${name} has ${list.length.toLocaleString("en-US")} entries; Google takes at most ${urlListLimit.toLocaleString("en-US")}`,
        });
    }
  });
});

export const findingStatuses = ["pass", "drift", "missing"] as const;
export type FindingStatus = (typeof findingStatuses)[number];

/** One rule (a policy field, or an app) checked on one OU. */
export const finding = z.object({
  ou: z.string(),
  /** `chrome.users.IncognitoMode.incognitoModeAvailability`, or `app:chrome:<id>`. */
  rule: z.string(),
  label: z.string(),
  status: z.enum(findingStatuses),
  expected: z.unknown(),
  actual: z.unknown().optional(),
  /** The OU that set the actual value (from `sourceKey`); absent when nothing sets it. */
  setBy: z.string().optional(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  ticketNumber: z.number().int().optional(),
});
export type Finding = z.infer<typeof finding>;

export const remediationKinds = ["restore", "apps"] as const;

/** A dry run: restore an OU's whole baseline, or only its apps and extensions. */
export const remediationPreviewRequest = z.object({
  kind: z.enum(remediationKinds).default("restore"),
  ouPath,
});

/** Apply what the dry run showed: its fingerprint proves the person saw these writes. */
export const remediationRequest = remediationPreviewRequest.extend({
  planHash: z.string().regex(/^[0-9a-f]{16}$/, "planHash is the fingerprint the dry run answered"),
});

/** Push TechDesk to a school: force-installed, pinned, configured with the agent and the school's token. */
export const techdeskPushRequest = z.object({
  school: ouPath,
  /** The dry run's fingerprint; absent for the dry run itself. */
  planHash: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
});

/** Declare an app or extension at an OU and push it (dry run without `planHash`). */
export const appPushRequest = z.object({
  ouPath,
  app: baselineApp,
  planHash: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
});

export const filterHistoryQuery = z.object({
  ou: ouPath.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The dashboard's one-line answer: weakened, settings missing, as the baseline wants, or no result yet. */
export type FilterVerdict = { kind: "weakened" | "missing" | "clean" | "unchecked"; text: string };

const ouList = (ous: { ouPath: string }[]) =>
  `${ous.length} OU${ous.length === 1 ? "" : "s"}: ${ous.map((o) => o.ouPath).join(", ")}`;

/**
 * What the stored check results say, in words. "No difference" only when a check finished and found
 * every setting as the baseline wants: a setting nobody set is a gap too, and no results (never
 * checked, the first check still running, or failed) is not a clean bill.
 */
export function filterVerdict(input: {
  ous: { ouPath: string; drift: number; missing: number }[];
  running: boolean;
  lastCheck?: { status: string; error?: string };
}): FilterVerdict {
  const { ous, running, lastCheck } = input;
  if (!ous.length) {
    if (running || lastCheck?.status === "running")
      return { kind: "unchecked", text: "The first filter check is running: its results show here when it ends." };
    if (lastCheck?.status === "failed")
      return {
        kind: "unchecked",
        text: "The last filter check failed, and no earlier check left results: filtering has not been checked.",
      };
    if (!lastCheck) return { kind: "unchecked", text: "No filter check has run yet: filtering has not been checked." };
  }
  const failed = lastCheck?.status === "failed";
  const drifted = ous.filter((o) => o.drift > 0);
  const missing = ous.filter((o) => o.drift === 0 && o.missing > 0);
  if (drifted.length || missing.length)
    return {
      kind: drifted.length ? "weakened" : "missing",
      text: [
        drifted.length ? `Filtering was weakened at ${ouList(drifted)}.` : "",
        missing.length ? `Settings the baseline requires are not set at ${ouList(missing)}.` : "",
        failed ? "The latest check failed: these are the results of the last check that finished." : "",
      ]
        .filter(Boolean)
        .join(" "),
    };
  return {
    kind: "clean",
    text: failed
      ? "No school's filtering differed from the baseline at the last check that finished; the latest check failed."
      : "No school's filtering differs from the baseline.",
  };
}
