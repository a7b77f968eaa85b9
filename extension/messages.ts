/**
 * Messages between the popup and the service worker, validated on arrival: the worker owns all
 * network access, and answers only this extension's own pages.
 */
import { z } from "zod";
import { problemReport } from "../shared";

export const popupRequest = z.discriminatedUnion("type", [
  z.object({ type: z.literal("getState") }),
  z.object({ type: z.literal("collectDiagnostics") }),
  z.object({ type: z.literal("submitReport"), report: problemReport }),
  z.object({ type: z.literal("myTickets") }),
  z.object({ type: z.literal("discardRejected") }),
]);
export type PopupRequest = z.infer<typeof popupRequest>;

export interface ExtensionState {
  /** False off ChromeOS unless installed for development or configured by policy. */
  active: boolean;
  configured: boolean;
  settingsSource?: "policy" | "options" | "build";
  pending: number;
  rejected: { idempotencyKey: string; error?: string }[];
  droppedCount: number;
  delivered: {
    idempotencyKey: string;
    ticketNumber: number;
    deliveredAt: number;
  }[];
  nextAttemptAt?: number;
}

export type SubmitAnswer = (
  | { outcome: "delivered"; ticketNumber: number }
  | { outcome: "queued"; reason: string }
  | { outcome: "rejected"; reason: string }
) & {
  /** The report was kept without its screenshot: storage had no room for it. */
  screenshotLeftOff?: boolean;
};

export function isOwnPage(sender: { id?: string; url?: string }, runtimeId: string, ownOrigin: string): boolean {
  return sender.id === runtimeId && typeof sender.url === "string" && sender.url.startsWith(ownOrigin);
}
