/** What the student sees after Send: the ticket number, or that the report waits to be sent. */
import type { SubmitAnswer } from "../messages";

export function Outcome({ answer, onAnother }: { answer: SubmitAnswer; onAnother: () => void }) {
  return (
    <section role="status" aria-live="polite">
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
        <p class="error" role="alert">
          The report was refused: {answer.reason}. Please tell your teacher or the tech team.
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
