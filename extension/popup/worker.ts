/** The popup's calls to the service worker, typed by request. */
import { browser } from "wxt/browser";
import type { DeviceTicketList, DiagnosticsSnapshot, ProblemReport } from "../../shared";
import type { ExtensionState, SubmitAnswer } from "../messages";

async function ask<T>(message: object): Promise<T> {
  const answer = (await browser.runtime.sendMessage(message)) as T | { error: string } | undefined;
  if (answer && typeof answer === "object" && "error" in answer) throw new Error(answer.error);
  if (answer === undefined) throw new Error("TechDesk's background service did not answer.");
  return answer as T;
}

export const worker = {
  state: () => ask<ExtensionState>({ type: "getState" }),
  diagnostics: () => ask<DiagnosticsSnapshot>({ type: "collectDiagnostics" }),
  submit: (report: ProblemReport) => ask<SubmitAnswer>({ type: "submitReport", report }),
  myTickets: () => ask<DeviceTicketList>({ type: "myTickets" }),
  discardRejected: () => ask<number>({ type: "discardRejected" }),
};
