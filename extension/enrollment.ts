/** The per-device credential: obtained once from the agent with the managed enrollment token. */

import { browser } from "wxt/browser";
import { storage } from "wxt/utils/storage";
import type { AgentClient } from "./agent-client";
import type { AgentSettings } from "./config";
import { runCollector } from "./diagnostics/collector";
import deviceAttributes from "./diagnostics/device-attributes";

export interface Enrollment {
  agentUrl: string;
  /**
   * SHA-256 (hex) of the enrollment token it was made with: the token decides the school, so a new
   * one means enrolling again. Absent on enrollments saved before it was kept.
   */
  tokenHash?: string;
  deviceId: string;
  credential: string;
  enrolledAt: number;
}

export const enrollmentItem = storage.defineItem<Enrollment | null>("local:enrollment", {
  fallback: null,
  version: 1,
});

/** A digest, not the token: the token stays only in managed storage, where the district put it. */
async function tokenHash(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The enrollment under way in this worker, if any. Delivery, the compliance report and "my tickets"
 * all start together when the worker wakes; two enrollments would leave tickets filed under the one
 * that lost, and a report retried under the other would file a second ticket.
 */
let enrolling: Promise<Enrollment> | undefined;

/** The stored enrollment for this agent and token, enrolling first when there is none (or either changed). */
export async function ensureEnrollment(settings: AgentSettings, client: AgentClient): Promise<Enrollment> {
  while (enrolling) await enrolling.catch(() => undefined);
  const hash = await tokenHash(settings.enrollmentToken);
  const current = await enrollmentItem.getValue();
  if (enrolling) return ensureEnrollment(settings, client);
  if (current && current.agentUrl === settings.agentUrl) {
    if (current.tokenHash === hash) return current;
    if (current.tokenHash === undefined) {
      // Saved before tokens were remembered: assume the current token made it, rather than enrol every
      // device again (each would lose its ticket history).
      const adopted = { ...current, tokenHash: hash };
      await enrollmentItem.setValue(adopted);
      return adopted;
    }
  }
  const started = enroll(settings, client, hash).finally(() => {
    enrolling = undefined;
  });
  // The caller sees a failure; waiters only need to know it is over.
  enrolling = started;
  return started;
}

async function enroll(settings: AgentSettings, client: AgentClient, hash: string): Promise<Enrollment> {
  const attributes = await runCollector(deviceAttributes, 500);
  const answer = await client.enroll({
    enrollmentToken: settings.enrollmentToken,
    device: attributes.data ?? {},
    extensionVersion: browser.runtime.getManifest().version,
  });
  const enrollment: Enrollment = {
    agentUrl: settings.agentUrl,
    tokenHash: hash,
    deviceId: answer.deviceId,
    credential: answer.credential,
    enrolledAt: Date.now(),
  };
  await enrollmentItem.setValue(enrollment);
  return enrollment;
}

/**
 * Forgets `credential` (the agent no longer accepts it); the next send enrols again. A credential
 * already replaced is left alone: a late 401 for the old one must not throw away the new one.
 */
export async function forgetEnrollment(credential: string): Promise<void> {
  while (enrolling) await enrolling.catch(() => undefined);
  const current = await enrollmentItem.getValue();
  if (current?.credential === credential) await enrollmentItem.setValue(null);
}
