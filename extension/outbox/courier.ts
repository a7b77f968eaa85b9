/**
 * The worker's side of the outbox: Send saves the report, tries to deliver it, and answers what
 * became of it; the delivery alarm is re-made after every attempt. Both keep the worker alive while
 * they run: an upload on a slow link outlasts Chrome's 30 s idle limit.
 */
import { browser } from "wxt/browser";
import type { ProblemReport } from "../../shared";
import { keepingAlive } from "../keep-alive";
import type { SubmitAnswer } from "../messages";
import type { Outbox } from "./outbox";

export const deliveryAlarm = "outbox-delivery";

/** When a delivery attempt failed before it could say when to try next (a storage error). */
const retryAfterFailureMs = 60_000;

export function createCourier({ outbox, isActive }: { outbox: Outbox; isActive: () => Promise<boolean> }) {
  async function scheduleDelivery(nextAttemptAt: number | undefined) {
    await browser.alarms.clear(deliveryAlarm);
    // Chrome fires alarms at most every 30 s for packed extensions; an earlier `when` is rounded up.
    if (nextAttemptAt !== undefined)
      await browser.alarms.create(deliveryAlarm, {
        when: Math.max(nextAttemptAt, Date.now() + 1_000),
      });
  }

  /**
   * Sends what is due. The alarm is re-made whatever happens (a failed storage write included), so a
   * saved report is never stranded until the worker happens to start again.
   */
  function deliver() {
    return keepingAlive(deliverDue);
  }

  async function deliverDue() {
    if (!(await isActive())) return;
    let nextAttemptAt: number | undefined = Date.now() + retryAfterFailureMs;
    try {
      const result = await outbox.flush();
      nextAttemptAt = result.nextAttemptAt;
      return result;
    } finally {
      await scheduleDelivery(nextAttemptAt);
    }
  }

  /**
   * Saves the report, then tries to send it. Only a failure to save reaches the popup as an error:
   * once saved, anything that goes wrong leaves it queued, so the student never sends it twice.
   */
  function submit(report: ProblemReport): Promise<SubmitAnswer> {
    return keepingAlive(() => save(report));
  }

  async function save(report: ProblemReport): Promise<SubmitAnswer> {
    const saved = await outbox.enqueue(report);
    if (saved.kind === "delivered") {
      const { ticketNumber, screenshotLeftOff } = saved.receipt;
      return { outcome: "delivered", ticketNumber, screenshotLeftOff };
    }
    const screenshotLeftOff = saved.entry.screenshotLeftOff;
    try {
      await deliverDue();
      const after = await outbox.status();
      const receipt = after.delivered.find((d) => d.idempotencyKey === report.idempotencyKey);
      if (receipt) return { outcome: "delivered", ticketNumber: receipt.ticketNumber, screenshotLeftOff };
      const entry = after.entries.find((e) => e.report.idempotencyKey === report.idempotencyKey);
      if (entry?.rejected)
        return { outcome: "rejected", reason: entry.lastError ?? "The agent refused the report.", screenshotLeftOff };
      return { outcome: "queued", reason: entry?.lastError ?? "The report is waiting to be sent.", screenshotLeftOff };
    } catch (error) {
      console.warn("TechDesk saved a report but could not finish sending it; it stays queued.", error);
      return { outcome: "queued", reason: "The report is waiting to be sent.", screenshotLeftOff };
    }
  }

  return { deliver, submit };
}
