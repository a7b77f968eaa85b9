/**
 * The Chrome policy schemas the sandbox knows (the filter-integrity set and app push), described as
 * `policySchemas` answers them, plus the value checks `batchModify` applies before writing.
 *
 * Enum values: Google's wire values carry the enum type as a prefix
 * (`INCOGNITO_MODE_AVAILABILITY_ENUM_UNAVAILABLE`); the seed, like GAM's display, uses the part after
 * `_ENUM_` (`UNAVAILABLE`). The definitions below list the prefixed names, the field descriptions the
 * short ones the sandbox serves, and writes accept either.
 */
import type { chromepolicy_v1 } from "googleapis";

type PolicySchema = chromepolicy_v1.Schema$GoogleChromePolicyVersionsV1PolicySchema;
type FieldType = "TYPE_BOOL" | "TYPE_STRING" | "TYPE_ENUM" | "TYPE_LIST";

interface FieldSpec {
  name: string;
  type: FieldType;
  description: string;
  /** Enum values (short form) or the two booleans, with what each means. */
  values?: Record<string, string>;
  maxItems?: number;
}

export interface SchemaSpec {
  name: string;
  description: string;
  fields: FieldSpec[];
  /** Additional target keys a value needs (`app_id` for app policies). */
  targetKeys?: string[];
}

const bool = (name: string, yes: string, no: string): FieldSpec => ({
  name,
  type: "TYPE_BOOL",
  description: yes,
  values: { true: yes, false: no },
});

export const schemaSpecs: SchemaSpec[] = [
  {
    name: "chrome.users.UrlBlocking",
    description: "URL blocking.",
    fields: [
      { name: "urlBlocklist", type: "TYPE_LIST", description: "Blocked URLs. Maximum of 1000 URLs.", maxItems: 1000 },
      {
        name: "urlAllowlist",
        type: "TYPE_LIST",
        description: "Blocked URL exceptions. Maximum of 1000 URLs.",
        maxItems: 1000,
      },
      bool("chromeInternalUrlsBlocked", "Block sensitive internal Chrome URLs.", "Do not block them."),
    ],
  },
  {
    name: "chrome.users.SafeSearchRestrictedMode",
    description: "SafeSearch and Restricted Mode.",
    fields: [
      bool("forceGoogleSafeSearch", "Always use SafeSearch for Google Search queries.", "Do not enforce SafeSearch."),
      {
        name: "forceYoutubeRestrictedMode",
        type: "TYPE_ENUM",
        description: "YouTube Restricted Mode.",
        values: { OFF: "Do not enforce.", MODERATE: "Enforce at least Moderate.", STRICT: "Enforce Strict." },
      },
    ],
  },
  {
    name: "chrome.users.SafeSitesFilterBehavior",
    description: "SafeSites URL filter.",
    fields: [
      {
        name: "safeSitesFilterBehavior",
        type: "TYPE_ENUM",
        description: "SafeSites URL filter.",
        values: {
          SAFE_SITES_FILTER_DISABLED: "Do not filter sites for adult content.",
          SAFE_SITES_FILTER_ENABLED: "Filter sites for adult content.",
        },
      },
    ],
  },
  {
    name: "chrome.users.IncognitoMode",
    description: "Incognito mode.",
    fields: [
      {
        name: "incognitoModeAvailability",
        type: "TYPE_ENUM",
        description: "Incognito mode.",
        values: { AVAILABLE: "Allow incognito mode.", UNAVAILABLE: "Disallow incognito mode.", FORCED: "Force it." },
      },
    ],
  },
  {
    name: "chrome.users.DeveloperTools",
    description: "Developer tools.",
    fields: [
      {
        name: "developerToolsAvailability",
        type: "TYPE_ENUM",
        description: "Built-in developer tools.",
        values: {
          ALWAYS_ALLOW_DEVELOPER_TOOLS: "Always allow use of built-in developer tools.",
          ALLOW_DEVELOPER_TOOLS_EXCEPT_FORCE_INSTALLED: "Allow them except for force-installed extensions.",
          NEVER_ALLOW_DEVELOPER_TOOLS: "Never allow use of built-in developer tools.",
        },
      },
    ],
  },
  {
    name: "chrome.users.DnsOverHttps",
    description: "DNS over HTTPS.",
    fields: [
      {
        name: "dnsOverHttpsMode",
        type: "TYPE_ENUM",
        description: "DNS over HTTPS mode.",
        values: {
          OFF: "Disable.",
          AUTOMATIC: "Prefer, allow insecure fallback.",
          SECURE: "Require.",
          UNSET: "Default.",
        },
      },
      { name: "dnsOverHttpsTemplates", type: "TYPE_LIST", description: "URI templates of DNS over HTTPS resolvers." },
    ],
  },
  {
    name: "chrome.users.BrowserGuestModeEnabled",
    description: "Browser guest mode.",
    fields: [
      bool("browserGuestModeEnabled", "Allow guest browser logins.", "Prevent guest browser logins."),
      bool("browserGuestModeEnforced", "Only allow guest browser logins.", "Allow guest and profile logins."),
    ],
  },
  {
    name: "chrome.users.SimpleProxySettings",
    description: "Proxy mode.",
    fields: [
      {
        name: "simpleProxyMode",
        type: "TYPE_ENUM",
        description: "Proxy mode.",
        values: {
          USER_CONFIGURED: "Allow user to configure.",
          DIRECT: "Never use a proxy.",
          SYSTEM: "Use system proxy settings.",
          AUTO_DETECT: "Always auto detect the proxy.",
          FIXED_SERVERS: "Always use the proxy in 'simpleProxyServerUrl'.",
          PAC_SCRIPT: "Always use the proxy auto-config in 'simpleProxyPacUrl'.",
        },
      },
      { name: "simpleProxyServerUrl", type: "TYPE_STRING", description: "Proxy server URL." },
      { name: "simpleProxyPacUrl", type: "TYPE_STRING", description: "Proxy auto-config file URL." },
      { name: "proxyBypassList", type: "TYPE_LIST", description: "URLs which bypass the proxy." },
    ],
  },
  {
    name: "chrome.devices.GuestMode",
    description: "Guest mode.",
    fields: [bool("guestModeEnabled", "Allow guest mode.", "Disable guest mode.")],
  },
  {
    name: "chrome.devices.DisabledDeviceReturnInstructions",
    description: "Disabled device return instructions.",
    fields: [
      {
        name: "deviceDisabledMessage",
        type: "TYPE_STRING",
        description: "Text shown under the device locked message.",
      },
    ],
  },
  {
    name: "chrome.users.apps.InstallType",
    description: "Specifies the manner in which the app is to be installed.",
    targetKeys: ["app_id"],
    fields: [
      {
        name: "appInstallType",
        type: "TYPE_ENUM",
        description: "How the app is installed.",
        values: {
          BLOCKED: "Block installation of the app.",
          ALLOWED: "Allow installation of the app.",
          FORCED: "Force install the app.",
          FORCED_AND_PIN_TO_TOOLBAR: "Force install and pin the app to the toolbar.",
          NORMAL: "Force install, but allow the user to disable it.",
          NORMAL_AND_PIN_TO_TOOLBAR: "Force install and pin, but allow the user to disable it.",
          REMOVE: "Block installation of the app and remove it from the device.",
        },
      },
    ],
  },
  {
    name: "chrome.users.apps.ManagedConfiguration",
    description: "Allows setting of the managed configuration.",
    targetKeys: ["app_id"],
    fields: [{ name: "managedConfiguration", type: "TYPE_STRING", description: "The managed configuration JSON." }],
  },
];

export function schemaSpec(name: string): SchemaSpec | undefined {
  return schemaSpecs.find((s) => s.name === name);
}

/** `chrome.users.apps.InstallType` → `chrome.users.apps`. */
export const namespaceOf = (schema: string) => schema.slice(0, schema.lastIndexOf("."));
/** `chrome.users.apps.InstallType` → `chrome.users`: one batch may write only one. */
export const rootNamespaceOf = (schema: string) => schema.split(".").slice(0, 2).join(".");

/** Google's schema namespaces (wildcards in `resolve` may only follow one of these). */
export const namespaces = [
  "chrome.users",
  "chrome.users.apps",
  "chrome.users.appsconfig",
  "chrome.devices",
  "chrome.devices.kiosk",
  "chrome.devices.kiosk.apps",
  "chrome.devices.managedguest",
  "chrome.devices.managedguest.apps",
  "chrome.printers",
  "chrome.printservers",
  "chrome.networks.wifi",
  "chrome.networks.ethernet",
  "chrome.networks.vpn",
  "chrome.networks.cellular",
  "chrome.networks.certificates",
  "chrome.networks.globalsettings",
];

const enumTypeName = (field: string) => `${field[0]?.toUpperCase()}${field.slice(1)}Enum`;
const enumPrefix = (field: string) =>
  `${enumTypeName(field)
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()}_`;

export function describeSchema(customerId: string, spec: SchemaSpec): PolicySchema {
  const leaf = spec.name.slice(spec.name.lastIndexOf(".") + 1);
  const enums = spec.fields.filter((f) => f.type === "TYPE_ENUM");
  return {
    name: `customers/${customerId}/policySchemas/${spec.name}`,
    schemaName: spec.name,
    policyDescription: spec.description,
    additionalTargetKeyNames: spec.targetKeys?.map((key) => ({ key, keyDescription: "Identifier of the app." })),
    validTargetResources: ["ORG_UNIT"],
    policyApiLifecycle: { policyApiLifecycleStage: "API_CURRENT" },
    definition: {
      package: namespaceOf(spec.name),
      syntax: "proto2",
      messageType: [
        {
          name: leaf,
          field: spec.fields.map((f, i) => ({
            name: f.name,
            number: i + 1,
            label: f.type === "TYPE_LIST" ? "LABEL_REPEATED" : "LABEL_OPTIONAL",
            type: f.type === "TYPE_LIST" ? "TYPE_STRING" : f.type,
            typeName: f.type === "TYPE_ENUM" ? enumTypeName(f.name) : undefined,
          })),
        },
      ],
      enumType: enums.map((f) => ({
        name: enumTypeName(f.name),
        value: ["UNSPECIFIED", ...Object.keys(f.values ?? {})].map((v, number) => ({
          name: `${enumPrefix(f.name)}${v}`,
          number,
        })),
      })),
    },
    fieldDescriptions: spec.fields.map((f) => ({
      field: f.name,
      name: f.name,
      description: f.description,
      knownValueDescriptions: f.values
        ? Object.entries(f.values).map(([value, description]) => ({ value, description }))
        : undefined,
    })),
  };
}

/** Why a field's new value is not acceptable, or undefined when it is. */
export function invalidValue(spec: SchemaSpec, field: string, value: unknown): string | undefined {
  const f = spec.fields.find((x) => x.name === field);
  if (!f) return `Field ${field} is not part of ${spec.name}.`;
  if (value === undefined || value === null) return `Field ${field} is in the update mask but has no value.`;
  switch (f.type) {
    case "TYPE_BOOL":
      return typeof value === "boolean" ? undefined : `Field ${field} must be a boolean.`;
    case "TYPE_STRING":
      return typeof value === "string" ? undefined : `Field ${field} must be a string.`;
    case "TYPE_LIST":
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) return `Field ${field} must be a list.`;
      return f.maxItems && value.length > f.maxItems ? `Field ${field} allows at most ${f.maxItems} items.` : undefined;
    case "TYPE_ENUM": {
      const known = Object.keys(f.values ?? {});
      const short = typeof value === "string" ? value.replace(enumPrefix(f.name), "") : "";
      return known.includes(short) ? undefined : `Invalid value ${String(value)} for ${field}.`;
    }
  }
}
