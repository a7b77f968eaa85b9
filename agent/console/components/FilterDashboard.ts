/**
 * What the agent's `/api/filter` routes answer, as the Filter page and its parts read it: the
 * dashboard with each OU's drifted settings, the queue of writes to Google, and a dry run's plan.
 */
import type { FilterVerdict } from "../../../shared";

/** One setting a restore or an app push would write: the whole value, with what Google has now. */
export interface PlannedWrite {
  policySchema: string;
  label: string;
  value: Record<string, unknown>;
  current: Record<string, unknown>;
}
export interface Problem {
  rule: string;
  label: string;
  status: "drift" | "missing";
  expected?: unknown;
  actual?: unknown;
  setBy?: string;
  firstSeen: string;
  ticketNumber?: number;
}
export interface OuStatus {
  ouPath: string;
  pass: number;
  drift: number;
  missing: number;
  problems: Problem[];
}
export interface Remediation {
  id: string;
  kind: "restore" | "apps";
  ouPath: string;
  state: "queued" | "applying" | "applied" | "failed";
  writes: PlannedWrite[];
  requestedBy: string;
  createdAt: string;
  finishedAt?: string;
  error?: string;
}
export interface Dashboard {
  baselineVersion: number;
  running: boolean;
  /** The agent's one-line answer: weakened, settings missing, as the baseline wants, or not checked. */
  verdict: FilterVerdict;
  lastCheck?: {
    status: string;
    startedAt: string;
    finishedAt?: string;
    error?: string;
    detail: Record<string, unknown>;
  };
  ous: OuStatus[];
  canRun: boolean;
  canChangePolicy: boolean;
  canPushApps: boolean;
  canEditBaseline: boolean;
  queue: { remediations: Remediation[]; writesWaiting: number };
  devices: {
    disagreeing: {
      deviceId: string;
      serialNumber?: string;
      orgUnitPath?: string;
      reportedAt: string;
      problems: string[];
    }[];
    reporting: number;
    withoutManagement: number;
  };
}
export interface Preview {
  kind: "restore" | "apps";
  ouPath: string;
  writes: PlannedWrite[];
  planHash: string;
}

/** A setting's value as the page shows it: JSON, or "not set" when there is none. */
export const shown = (value: unknown) => (value === undefined ? "not set" : JSON.stringify(value));
