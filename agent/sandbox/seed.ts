/**
 * Seeds a realistic district: three schools, each with Students, Staff and Loaners OUs, about 2,000
 * Chromebooks of real models and AUE dates, students assigned, telemetry with some failing
 * batteries and full disks, and filter policies with one school drifted. Deterministic for a seed.
 */
import {
  byDeviceId,
  type DirectoryDevice,
  type DirectoryOrgUnit,
  type SandboxDistrict,
  type TelemetryDevice,
} from "./district";

export const demoCustomerId = "C03demo01";
export const demoDomain = "demo-district.example.org";
export const demoSchools = ["Lincoln High", "Washington Middle", "Jefferson Elementary"] as const;

/** Models districts buy, with their AUE (auto-update expiration) month. */
const models: [string, string][] = [
  ["Lenovo 100e Chromebook Gen 3", "2029-06-01"],
  ["HP Chromebook 11 G9 EE", "2029-06-01"],
  ["Dell Chromebook 3110", "2030-06-01"],
  ["Acer Chromebook Spin 511 (R753T)", "2030-06-01"],
  ["ASUS Chromebook C204EE", "2026-06-01"],
  ["Lenovo 300e Chromebook 2nd Gen AST", "2026-06-01"],
  ["CTL Chromebook NL72", "2028-06-01"],
];

const firstNames = [
  "ava",
  "liam",
  "mia",
  "noah",
  "zoe",
  "eli",
  "ivy",
  "leo",
  "ada",
  "kai",
  "nia",
  "omar",
  "ruby",
  "sam",
  "tess",
  "yara",
];
const lastNames = [
  "garcia",
  "nguyen",
  "smith",
  "patel",
  "kim",
  "lopez",
  "brown",
  "okafor",
  "chen",
  "davis",
  "ali",
  "jones",
];

/** mulberry32: a small deterministic PRNG so every seed gives the same district. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (random: () => number, length: number) =>
  Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join("");

function orgUnit(path: string, id: string): DirectoryOrgUnit {
  const parts = path.split("/").filter(Boolean);
  const parent = parts.length ? `/${parts.slice(0, -1).join("/")}` : undefined;
  return {
    kind: "admin#directory#orgUnit",
    orgUnitId: `id:${id}`,
    orgUnitPath: path,
    name: parts.at(-1) ?? "",
    parentOrgUnitPath: parent,
    description: "",
  };
}

export interface SeedOptions {
  seed?: number;
  /** Devices in all (spread over the device OUs). */
  devices?: number;
  /** Schools; each gets Students, Staff and Loaners OUs. */
  schools?: readonly string[];
  now?: Date;
  /** How long ago devices last synced, in days: [from, to). */
  syncedDaysAgo?: [number, number];
}

export function seedDistrict(options: SeedOptions = {}): SandboxDistrict {
  const random = prng(options.seed ?? 42);
  const now = options.now ?? new Date();
  const schools = options.schools ?? demoSchools;
  const deviceCount = options.devices ?? 2000;
  const orgUnits: DirectoryOrgUnit[] = [orgUnit("/", "root"), orgUnit("/Schools", "schools")];
  orgUnits[0] = { ...orgUnits[0], parentOrgUnitPath: undefined, parentOrgUnitId: undefined };
  const deviceOus: DirectoryOrgUnit[] = [];
  schools.forEach((school, i) => {
    orgUnits.push(orgUnit(`/Schools/${school}`, `school${i}`));
    for (const sub of ["Students", "Staff", "Loaners"]) {
      const ou = orgUnit(`/Schools/${school}/${sub}`, `school${i}${sub.toLowerCase()}`);
      orgUnits.push(ou);
      deviceOus.push(ou);
    }
  });
  for (const ou of orgUnits) {
    const parent = orgUnits.find((p) => p.orgUnitPath === ou.parentOrgUnitPath);
    if (parent) ou.parentOrgUnitId = parent.orgUnitId;
  }

  const devices = new Map<string, DirectoryDevice>();
  const telemetry = new Map<string, TelemetryDevice>();
  for (let n = 0; n < deviceCount; n++) {
    const school = Math.floor(random() * schools.length);
    const roll = random();
    const sub = roll < 0.85 ? "Students" : roll < 0.95 ? "Staff" : "Loaners";
    const ou = deviceOus.find((o) => o.orgUnitPath === `/Schools/${schools[school]}/${sub}`) ?? deviceOus[0];
    const [model, aue] = models[Math.floor(random() * models.length)] ?? models[0] ?? ["", ""];
    const deviceId = `${hex(random, 8)}-${hex(random, 4)}-${hex(random, 4)}-${hex(random, 4)}-${hex(random, 12)}`;
    const serialNumber = `5CD${hex(random, 7).toUpperCase()}`;
    const user = `${firstNames[Math.floor(random() * firstNames.length)]}.${lastNames[Math.floor(random() * lastNames.length)]}${n}@students.${demoDomain}`;
    const [fromDays, toDays] = options.syncedDaysAgo ?? [0, 14];
    const lastSync = new Date(
      now.getTime() - Math.floor((fromDays + random() * (toDays - fromDays)) * 86_400_000),
    ).toISOString();
    const status = random() < 0.02 ? "DISABLED" : random() < 0.01 ? "DEPROVISIONED" : "ACTIVE";
    const prefix = (schools[school] ?? "X")
      .split(" ")
      .map((w) => w[0])
      .join("")
      .toUpperCase();
    const totalDisk = 32_000_000_000;
    const freeDisk =
      random() < 0.05 ? Math.floor(random() * 500_000_000) : Math.floor(8_000_000_000 + random() * 16_000_000_000);
    const mac = Array.from({ length: 6 }, () => hex(random, 2)).join("");
    devices.set(deviceId, {
      kind: "admin#directory#chromeosdevice",
      etag: `"${hex(random, 16)}"`,
      deviceId,
      serialNumber,
      status,
      orgUnitPath: ou?.orgUnitPath,
      orgUnitId: ou?.orgUnitId?.replace(/^id:/, ""),
      model,
      osVersion: "126.0.6478.132",
      platformVersion: "15886.44.0 (Official Build) stable-channel",
      lastSync,
      lastEnrollmentTime: new Date(now.getTime() - 400 * 86_400_000).toISOString(),
      annotatedUser: sub === "Students" ? user : "",
      annotatedAssetId: `${prefix}-${String(n).padStart(5, "0")}`,
      annotatedLocation: sub === "Loaners" ? "Library loaner cart" : `Room ${100 + Math.floor(random() * 60)}`,
      recentUsers: sub === "Students" ? [{ type: "USER_TYPE_MANAGED", email: user }] : [],
      macAddress: mac,
      autoUpdateThrough: `${aue}T00:00:00Z`,
      autoUpdateExpiration: String(new Date(aue).getTime()),
      systemRamTotal: String(4 * 1024 ** 3),
      diskVolumeReports: [
        { volumeInfo: [{ volumeId: "/home", storageTotal: String(totalDisk), storageFree: String(freeDisk) }] },
      ],
      lastKnownNetwork: [
        {
          ipAddress: `10.${school + 10}.${Math.floor(random() * 250)}.${Math.floor(random() * 250)}`,
          wanIpAddress: "203.0.113.10",
        },
      ],
    });
    const health = random();
    const capacity = 4000 + Math.floor(random() * 1000);
    telemetry.set(deviceId, {
      name: `customers/${options.seed === undefined ? demoCustomerId : demoCustomerId}/telemetry/devices/${deviceId}`,
      customer: `customers/${demoCustomerId}`,
      orgUnitId: ou?.orgUnitId?.replace(/^id:/, ""),
      deviceId,
      serialNumber,
      batteryInfo: [
        {
          serialNumber: hex(random, 10),
          manufacturer: "SMP",
          designCapacity: String(capacity),
          designMinVoltage: 11100,
          technology: "Li-ion",
        },
      ],
      batteryStatusReport: [
        {
          reportTime: lastSync,
          serialNumber: hex(random, 10),
          fullChargeCapacity: String(Math.floor(capacity * (health < 0.07 ? 0.45 : health < 0.15 ? 0.7 : 0.92))),
          cycleCount: Math.floor(100 + random() * (health < 0.07 ? 900 : 400)),
          batteryHealth:
            health < 0.07 ? "BATTERY_REPLACE_NOW" : health < 0.15 ? "BATTERY_REPLACE_SOON" : "BATTERY_HEALTH_NORMAL",
        },
      ],
      storageInfo: { totalDiskBytes: String(totalDisk), availableDiskBytes: String(freeDisk), volume: [] },
      memoryInfo: {
        totalRamBytes: String(4 * 1024 ** 3),
        availableRamBytes: String(Math.floor(random() * 2 * 1024 ** 3)),
      },
      osUpdateStatus: [{ updateState: "OS_UP_TO_DATE", lastUpdateCheckTime: lastSync }],
    });
  }
  const sorted = new Map([...devices.entries()].sort(([a], [b]) => a.localeCompare(b)));
  // Telemetry in the order its listing pages through.
  const telemetryById = new Map([...telemetry.entries()].sort(([a], [b]) => byDeviceId(a, b)));

  // Filter policy: set at the root for everyone, and one school's students drifted locally.
  const root = "root";
  const drifted = orgUnits
    .find((o) => o.orgUnitPath === `/Schools/${schools[1] ?? schools[0]}/Students`)
    ?.orgUnitId?.replace(/^id:/, "");
  const policies = new Map<string, Map<string, Record<string, unknown>>>([
    [
      root,
      new Map<string, Record<string, unknown>>([
        [
          "chrome.users.UrlBlocking",
          { urlBlocklist: ["*.proxysite.example", "chrome://extensions"], urlAllowlist: ["classroom.google.com"] },
        ],
        [
          "chrome.users.SafeSearchRestrictedMode",
          { forceGoogleSafeSearch: true, forceYoutubeRestrictedMode: "STRICT" },
        ],
        ["chrome.users.SafeSitesFilterBehavior", { safeSitesFilterBehavior: "SAFE_SITES_FILTER_ENABLED" }],
        ["chrome.users.IncognitoMode", { incognitoModeAvailability: "UNAVAILABLE" }],
        ["chrome.users.DeveloperTools", { developerToolsAvailability: "NEVER_ALLOW_DEVELOPER_TOOLS" }],
        ["chrome.users.BrowserGuestModeEnabled", { browserGuestModeEnabled: false }],
        ["chrome.users.DnsOverHttps", { dnsOverHttpsMode: "OFF" }],
        ["chrome.devices.GuestMode", { guestModeEnabled: false }],
        // The district already force-installs TechDesk for everyone (not yet configured per school).
        [
          "chrome.users.apps.InstallType#app_id=chrome:hclbedhgmicmhmlakomhbojpgaokbmko",
          { appInstallType: "FORCED_AND_PIN_TO_TOOLBAR" },
        ],
      ]),
    ],
  ]);
  if (drifted) {
    policies.set(
      drifted,
      new Map<string, Record<string, unknown>>([
        ["chrome.users.IncognitoMode", { incognitoModeAvailability: "AVAILABLE" }],
        ["chrome.users.SafeSearchRestrictedMode", { forceGoogleSafeSearch: false, forceYoutubeRestrictedMode: "OFF" }],
      ]),
    );
  }

  return {
    customerId: demoCustomerId,
    domain: demoDomain,
    orgUnits,
    devices: sorted,
    telemetry: telemetryById,
    policies,
    commands: new Map(),
  };
}
