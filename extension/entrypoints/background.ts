/**
 * The service worker: owns the outbox, enrollment and every call to the agent. It can be killed
 * whenever it is idle, so all state lives in storage and the delivery alarm is re-made at each start.
 */
import { browser } from "wxt/browser";
import { defineBackground } from "wxt/utils/define-background";
import { isActive } from "../activation";
import { reportCompliance } from "../compliance";
import { resolveSettings } from "../config";
import { deliverReport, fetchMyTickets } from "../delivery";
import { collectDiagnostics } from "../diagnostics";
import { type ExtensionState, isOwnPage, type PopupRequest, popupRequest } from "../messages";
import { createCourier, deliveryAlarm } from "../outbox/courier";
import { Outbox } from "../outbox/outbox";
import { outboxItem } from "../outbox/storage";

const complianceAlarm = "compliance-report";

export default defineBackground(() => {
  const outbox = new Outbox({ storage: outboxItem, send: deliverReport });

  const { deliver, submit } = createCourier({ outbox, isActive });

  async function state(): Promise<ExtensionState> {
    const [active, settings, status] = await Promise.all([isActive(), resolveSettings(), outbox.status()]);
    return {
      active,
      configured: Boolean(settings.settings),
      settingsSource: settings.source,
      pending: status.entries.filter((e) => !e.rejected).length,
      rejected: status.entries
        .filter((e) => e.rejected)
        .map((e) => ({
          idempotencyKey: e.report.idempotencyKey,
          error: e.lastError,
        })),
      droppedCount: status.droppedCount,
      delivered: status.delivered,
      nextAttemptAt: status.nextAttemptAt,
    };
  }

  async function handle(request: PopupRequest): Promise<unknown> {
    switch (request.type) {
      case "getState":
        return state();
      case "collectDiagnostics":
        return collectDiagnostics();
      case "submitReport":
        return submit(request.report);
      case "myTickets":
        return fetchMyTickets();
      case "discardRejected":
        return outbox.discardRejected();
    }
  }

  browser.runtime.onMessage.addListener((message: unknown, sender) => {
    if (!isOwnPage(sender, browser.runtime.id, browser.runtime.getURL("/"))) return undefined;
    const parsed = popupRequest.safeParse(message);
    if (!parsed.success) return Promise.resolve({ error: "Message not understood." });
    return handle(parsed.data).catch((error: Error) => ({
      error: error.message,
    }));
  });

  /** The compliance report; a failure waits for the next alarm (at most an hour), never lost silently. */
  async function sendCompliance(force = false) {
    if (!(await isActive())) return;
    try {
      await reportCompliance({ force });
    } catch (error) {
      console.warn("TechDesk could not send its compliance report; trying again within the hour.", error);
    }
  }

  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === deliveryAlarm) void deliver();
    if (alarm.name === complianceAlarm) void sendCompliance();
  });

  // Granting `management` changes what the report can say: send it at once.
  browser.permissions?.onAdded?.addListener(() => void sendCompliance(true));

  // Start-up: deliver what an earlier worker left behind, and re-make the alarms. The compliance
  // alarm looks hourly; a report goes when the last one is six hours old (or never went).
  void deliver();
  void browser.alarms.create(complianceAlarm, { periodInMinutes: 60 });
  void sendCompliance();
});
