/** Sending one report: settings, enrollment and the agent call, turned into an outbox outcome. */
import type { ProblemReport } from "../shared";
import { AgentError, createAgentClient } from "./agent-client";
import { resolveSettings } from "./config";
import { ensureEnrollment, forgetEnrollment } from "./enrollment";
import type { SendOutcome } from "./outbox/outbox";

function outcomeOf(error: unknown): SendOutcome {
  if (error instanceof AgentError && !error.retryable) {
    return { kind: "rejected", error: `${error.message} (${error.status})` };
  }
  return {
    kind: "retry",
    error: error instanceof Error ? error.message : String(error),
    // A 429 (or 503) says how long to wait; the outbox holds its reports at least that long.
    ...(error instanceof AgentError && error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
  };
}

export async function deliverReport(report: ProblemReport): Promise<SendOutcome> {
  const { settings } = await resolveSettings();
  if (!settings)
    return {
      kind: "retry",
      error: "TechDesk is not configured yet (no agent URL or enrollment token).",
    };
  const client = createAgentClient({ agentUrl: settings.agentUrl });
  try {
    let enrollment = await ensureEnrollment(settings, client);
    try {
      return {
        kind: "delivered",
        receipt: await client.sendReport(enrollment.credential, report),
      };
    } catch (error) {
      // The agent no longer knows this credential (database restored, device removed): enrol again once.
      if (!(error instanceof AgentError && error.status === 401)) throw error;
      await forgetEnrollment(enrollment.credential);
      enrollment = await ensureEnrollment(settings, client);
      return {
        kind: "delivered",
        receipt: await client.sendReport(enrollment.credential, report),
      };
    }
  } catch (error) {
    if (error instanceof AgentError && error.status === 401) {
      return {
        kind: "retry",
        error: "The agent did not accept this device's enrollment.",
      };
    }
    return outcomeOf(error);
  }
}

export async function fetchMyTickets() {
  const { settings } = await resolveSettings();
  if (!settings) throw new Error("TechDesk is not configured yet.");
  const client = createAgentClient({ agentUrl: settings.agentUrl });
  const enrollment = await ensureEnrollment(settings, client);
  return client.myTickets(enrollment.credential);
}
