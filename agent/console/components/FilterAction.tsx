/**
 * How the Filter page's buttons send a request and say why it failed: one hook that keeps the button
 * busy while the request runs, and the alert that shows the failure.
 */
import { useState } from "preact/hooks";

/** Why an action failed, as an alert; nothing when it has not. */
export const Alert = ({ message }: { message?: string }) =>
  message ? (
    <p class="error" role="alert">
      {message}
    </p>
  ) : null;

/**
 * `busy` while `run`'s work is going. `run` clears the error first and sets it to the failure's
 * message if the work throws. The error state is the caller's, so actions can share one alert.
 */
export function useAction(setError: (message: string | undefined) => void) {
  const [busy, setBusy] = useState(false);
  async function run(work: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return { busy, run };
}
