/** The popup: pick what is wrong, optionally say more, press Send, see the ticket number. */
import { useEffect, useState } from "preact/hooks";
import type { DiagnosticsSnapshot, ProblemCategory, ProblemReport } from "../../shared";
import { collectDiagnostics, windowCollectors } from "../diagnostics";
import type { ExtensionState, SubmitAnswer } from "../messages";
import { CategoryTiles } from "./CategoryTiles";
import { Failure } from "./Failure";
import { OutboxNotice } from "./OutboxNotice";
import { Outcome } from "./Outcome";
import { RecentTickets } from "./RecentTickets";
import { type ReportDraft, ReportForm } from "./ReportForm";
import { worker } from "./worker";

type View =
  | { name: "loading" }
  | { name: "inactive" }
  | { name: "unconfigured" }
  | { name: "pick" }
  | { name: "details"; category: ProblemCategory }
  | { name: "sending"; category: ProblemCategory }
  | { name: "resending" }
  | { name: "done"; answer: SubmitAnswer }
  /** `report` when Send failed: Try again sends that same report, under the same idempotency key. */
  | { name: "failed"; message: string; report?: ProblemReport };

/** Worker snapshot plus what only a window can read (battery). */
async function snapshot(): Promise<DiagnosticsSnapshot> {
  const [fromWorker, fromWindow] = await Promise.all([
    worker.diagnostics().catch(
      (error: Error): DiagnosticsSnapshot => ({
        warnings: [
          {
            collector: "worker",
            message: `Diagnostics unavailable: ${error.message}`,
          },
        ],
      }),
    ),
    collectDiagnostics(windowCollectors),
  ]);
  return {
    ...fromWorker,
    battery: fromWindow.battery,
    warnings: [...fromWorker.warnings, ...fromWindow.warnings].slice(0, 100),
  };
}

export function App() {
  const [view, setView] = useState<View>({ name: "loading" });
  const [state, setState] = useState<ExtensionState>();
  const [diagnostics, setDiagnostics] = useState<Promise<DiagnosticsSnapshot>>();

  function load() {
    setView({ name: "loading" });
    worker
      .state()
      .then((s) => {
        setState(s);
        if (!s.active) setView({ name: "inactive" });
        else if (!s.configured) setView({ name: "unconfigured" });
        else {
          // Collect while the student chooses, so Send does not wait for it.
          setDiagnostics(snapshot());
          setView({ name: "pick" });
        }
      })
      .catch((error: Error) => setView({ name: "failed", message: error.message }));
  }

  useEffect(load, []);

  async function submit(report: ProblemReport) {
    let answer: SubmitAnswer;
    try {
      answer = await worker.submit(report);
    } catch (error) {
      setView({ name: "failed", message: (error as Error).message, report });
      return;
    }
    setView({ name: "done", answer });
    // Only the notice about earlier reports depends on this; the outcome is already shown.
    worker.state().then(setState, () => undefined);
  }

  async function send(category: ProblemCategory, draft: ReportDraft) {
    setView({ name: "sending", category });
    await submit({
      idempotencyKey: crypto.randomUUID(),
      category,
      note: draft.note.trim() || undefined,
      screenshot: draft.screenshot,
      clientTime: new Date().toISOString(),
      diagnostics: await (diagnostics ?? snapshot()),
    });
  }

  function retry(report: ProblemReport | undefined) {
    if (!report) return load();
    setView({ name: "resending" });
    void submit(report);
  }

  return (
    <main>
      <h1>Get help with this Chromebook</h1>
      {state && view.name !== "done" && <OutboxNotice state={state} onChange={() => worker.state().then(setState)} />}
      {view.name === "loading" && <p class="muted">Loading…</p>}
      {view.name === "inactive" && (
        <p>TechDesk works on school Chromebooks. On this computer, ask your school's tech team for help directly.</p>
      )}
      {view.name === "unconfigured" && (
        <p>
          TechDesk is not set up on this device yet. Your school's IT team sets it up;{" "}
          <a href="/options.html" target="_blank" rel="noreferrer">
            open settings
          </a>
          .
        </p>
      )}
      {view.name === "pick" && (
        <>
          <CategoryTiles onPick={(category) => setView({ name: "details", category })} />
          <RecentTickets />
        </>
      )}
      {(view.name === "details" || view.name === "sending") && (
        <ReportForm
          category={view.category}
          sending={view.name === "sending"}
          onBack={() => setView({ name: "pick" })}
          onSend={(draft) => send(view.category, draft)}
        />
      )}
      {view.name === "done" && <Outcome answer={view.answer} onAnother={() => setView({ name: "pick" })} />}
      {view.name === "resending" && <p class="muted">Sending…</p>}
      {view.name === "failed" && (
        <Failure
          message={view.message}
          onRetry={() => retry(view.report)}
          onBack={view.report ? () => setView({ name: "pick" }) : undefined}
        />
      )}
    </main>
  );
}
