/** What the outbox holds that the student should know about: waiting, refused, or dropped reports. */
import type { ExtensionState } from "../messages";
import { worker } from "./worker";

export function OutboxNotice({ state, onChange }: { state: ExtensionState; onChange: () => void }) {
  const waiting = state.pending;
  const refused = state.rejected.length;
  if (!waiting && !refused && !state.droppedCount) return null;
  return (
    <div class="notice" role="status">
      {waiting > 0 && (
        <p>
          {waiting === 1 ? "1 earlier report is" : `${waiting} earlier reports are`} waiting to be sent. They will go by
          themselves when this Chromebook is online.
        </p>
      )}
      {state.droppedCount > 0 && (
        <p>
          {state.droppedCount === 1 ? "1 old report was" : `${state.droppedCount} old reports were`} removed because too
          many were waiting. Please tell the tech team in person.
        </p>
      )}
      {refused > 0 && (
        <>
          <p class="error">
            {refused === 1 ? "1 report was" : `${refused} reports were`} refused by the school's system:{" "}
            {state.rejected[0]?.error ?? "no reason given"}.
          </p>
          <button
            type="button"
            class="secondary"
            onClick={async () => {
              await worker.discardRejected();
              onChange();
            }}
          >
            Remove refused reports
          </button>
        </>
      )}
    </div>
  );
}
