/**
 * Where the extension finds its agent: managed storage (set by the district's policy) first, then
 * the options page, then the defaults baked into a local development build by `npm start`.
 */
import { storage } from "wxt/utils/storage";
import { z } from "zod";

export const agentSettings = z.object({
  agentUrl: z.url({ protocol: /^https?$/ }),
  enrollmentToken: z.string().min(1).max(256),
});
export type AgentSettings = z.infer<typeof agentSettings>;

export type SettingsSource = "policy" | "options" | "build";

export const optionsSettings = storage.defineItem<Partial<AgentSettings>>("local:options", {
  fallback: {},
  version: 1,
});

const managedAgentUrl = storage.defineItem<string>("managed:agentUrl");
const managedEnrollmentToken = storage.defineItem<string>("managed:enrollmentToken");

/** Values baked in at build time (`npm start` points its build at the local agent). */
function buildDefaults(): Partial<AgentSettings> {
  return {
    agentUrl: import.meta.env.WXT_AGENT_URL || undefined,
    enrollmentToken: import.meta.env.WXT_ENROLLMENT_TOKEN || undefined,
  };
}

async function readManaged(): Promise<Partial<AgentSettings>> {
  try {
    const [agentUrl, enrollmentToken] = await Promise.all([
      managedAgentUrl.getValue(),
      managedEnrollmentToken.getValue(),
    ]);
    return {
      agentUrl: agentUrl ?? undefined,
      enrollmentToken: enrollmentToken ?? undefined,
    };
  } catch {
    // storage.managed throws where no policy store exists (some test and non-Chrome contexts).
    return {};
  }
}

export interface ResolvedSettings {
  settings?: AgentSettings;
  source?: SettingsSource;
  /** True when any value came from policy: the options page then shows it read-only. */
  managed: boolean;
}

export async function resolveSettings(): Promise<ResolvedSettings> {
  const managed = await readManaged();
  const candidates: [SettingsSource, Partial<AgentSettings>][] = [
    ["policy", managed],
    ["options", await optionsSettings.getValue()],
    ["build", buildDefaults()],
  ];
  const isManaged = Boolean(managed.agentUrl || managed.enrollmentToken);
  for (const [source, values] of candidates) {
    const parsed = agentSettings.safeParse(values);
    if (parsed.success) return { settings: parsed.data, source, managed: isManaged };
  }
  return { managed: isManaged };
}
