/** The per-device credential: obtained once from the agent with the managed enrollment token. */

import { browser } from "wxt/browser";
import { storage } from "wxt/utils/storage";
import type { AgentClient } from "./agent-client";
import type { AgentSettings } from "./config";
import { runCollector } from "./diagnostics/collector";
import deviceAttributes from "./diagnostics/device-attributes";

export interface Enrollment {
  agentUrl: string;
  deviceId: string;
  credential: string;
  enrolledAt: number;
}

export const enrollmentItem = storage.defineItem<Enrollment | null>("local:enrollment", {
  fallback: null,
  version: 1,
});

/** The stored enrollment for this agent, enrolling first when there is none (or the agent moved). */
export async function ensureEnrollment(settings: AgentSettings, client: AgentClient): Promise<Enrollment> {
  const current = await enrollmentItem.getValue();
  if (current && current.agentUrl === settings.agentUrl) return current;
  const attributes = await runCollector(deviceAttributes, 500);
  const answer = await client.enroll({
    enrollmentToken: settings.enrollmentToken,
    device: attributes.data ?? {},
    extensionVersion: browser.runtime.getManifest().version,
  });
  const enrollment: Enrollment = {
    agentUrl: settings.agentUrl,
    deviceId: answer.deviceId,
    credential: answer.credential,
    enrolledAt: Date.now(),
  };
  await enrollmentItem.setValue(enrollment);
  return enrollment;
}

/** Forgets the credential (the agent no longer accepts it); the next send enrols again. */
export function forgetEnrollment(): Promise<void> {
  return enrollmentItem.setValue(null);
}
