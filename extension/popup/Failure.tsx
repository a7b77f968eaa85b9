/** What the student sees when the popup could not reach its service worker, with a way on. */
import { FocusedHeading } from "./Outcome";

interface Props {
  message: string;
  /** Sends the same report again (same idempotency key, so it cannot file twice), or reloads. */
  onRetry: () => void;
  /** Back to the problem list; absent when there is nothing to go back to. */
  onBack?: () => void;
}

export function Failure({ message, onRetry, onBack }: Props) {
  return (
    <section aria-labelledby="failure-heading">
      <FocusedHeading id="failure-heading">Something went wrong</FocusedHeading>
      <p class="error">{message}</p>
      <div class="actions">
        {onBack && (
          <button type="button" class="secondary" onClick={onBack}>
            Back
          </button>
        )}
        <button type="button" class="primary" onClick={onRetry}>
          Try again
        </button>
      </div>
    </section>
  );
}
