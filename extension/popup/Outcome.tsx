/** What the student sees after Send: the ticket number, or that the report waits to be sent. */
import { useEffect, useRef } from "preact/hooks";
import type { SubmitAnswer } from "../messages";

/**
 * A heading that takes focus when it appears. The form the student pressed Send on is gone by then,
 * so without this focus falls to the page and a screen reader says nothing of what happened.
 */
export function FocusedHeading({ id, children }: { id: string; children: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h2 id={id} ref={ref} tabIndex={-1}>
      {children}
    </h2>
  );
}

const headings: Record<SubmitAnswer["outcome"], string> = {
  delivered: "Report sent",
  queued: "Report kept on this Chromebook",
  rejected: "Report refused",
};

export function Outcome({ answer, onAnother }: { answer: SubmitAnswer; onAnother: () => void }) {
  return (
    <section aria-labelledby="outcome-heading">
      <FocusedHeading id="outcome-heading">{headings[answer.outcome]}</FocusedHeading>
      {answer.outcome === "delivered" && (
        <>
          <p>Your tech team has your report. Your ticket number is</p>
          <p class="ticket" data-testid="ticket-number">
            #{answer.ticketNumber}
          </p>
          <p class="muted">Write it down or show it when you bring in your Chromebook.</p>
        </>
      )}
      {answer.outcome === "queued" && (
        <>
          <p>
            <strong>Saved.</strong> Your report could not be sent right now, so it will be sent by itself as soon as
            this Chromebook can reach the school's network. You do not need to send it again.
          </p>
          <p class="muted">{answer.reason}</p>
        </>
      )}
      {answer.outcome === "rejected" && (
        <p class="error">The report was refused: {answer.reason}. Please tell your teacher or the tech team.</p>
      )}
      {answer.screenshotLeftOff && (
        <p>
          Your screenshot was left off because this Chromebook had no room to keep it; everything else in your report is
          kept.
        </p>
      )}
      <div class="actions">
        <button type="button" class="secondary" onClick={onAnother}>
          Report another problem
        </button>
      </div>
    </section>
  );
}
