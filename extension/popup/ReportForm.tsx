/** The optional details: a line of text and, with the student's consent, a screenshot. */
import { useEffect, useRef, useState } from "preact/hooks";
import { maxNoteLength, type ProblemCategory, problemCategoryLabels } from "../../shared";
import { captureScreenshot } from "./screenshot";

export interface ReportDraft {
  note: string;
  screenshot?: string;
}

interface Props {
  category: ProblemCategory;
  sending: boolean;
  onBack: () => void;
  onSend: (draft: ReportDraft) => void;
}

export function ReportForm({ category, sending, onBack, onSend }: Props) {
  const [note, setNote] = useState("");
  const [screenshot, setScreenshot] = useState<string>();
  const [screenshotError, setScreenshotError] = useState<string>();
  const noteRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => noteRef.current?.focus(), []);

  async function toggleScreenshot(checked: boolean) {
    setScreenshotError(undefined);
    if (!checked) return setScreenshot(undefined);
    try {
      setScreenshot(await captureScreenshot());
    } catch (error) {
      setScreenshotError(`No screenshot could be taken: ${(error as Error).message}`);
    }
  }

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        onSend({ note, screenshot });
      }}
    >
      <p>
        Problem: <strong>{problemCategoryLabels[category]}</strong>
      </p>
      <label for="note">Anything else we should know? (optional)</label>
      <textarea
        id="note"
        ref={noteRef}
        maxLength={maxNoteLength}
        value={note}
        onInput={(event) => setNote(event.currentTarget.value)}
        aria-describedby="note-count"
      />
      <div id="note-count" class="counter">
        {note.length} / {maxNoteLength}
      </div>
      <label class="consent">
        <input
          type="checkbox"
          checked={Boolean(screenshot)}
          onChange={(event) => toggleScreenshot(event.currentTarget.checked)}
        />
        <span>Include a screenshot of my screen. Only tick this if nothing private is showing.</span>
      </label>
      {screenshotError && (
        <p class="error" role="alert">
          {screenshotError}
        </p>
      )}
      {screenshot && <img class="preview" src={screenshot} alt="The screenshot that will be sent" />}
      <div class="actions">
        <button type="button" class="secondary" onClick={onBack} disabled={sending}>
          Back
        </button>
        <button type="submit" class="primary" disabled={sending}>
          {sending ? "Sending…" : "Send"}
        </button>
      </div>
    </form>
  );
}
