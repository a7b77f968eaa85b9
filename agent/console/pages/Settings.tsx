/** Settings: how TechDesk reaches Google, and whether it works, in words. */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { Status } from "../components/Status";
import { when } from "../format";

interface GoogleStatus {
  mode: string;
  description: string;
  customerId: string;
  ok?: boolean;
  message?: string;
  checkedAt?: string;
}

export function Settings() {
  const [status, setStatus] = useState<GoogleStatus>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<GoogleStatus>("/api/settings/google")
      .then(setStatus)
      .catch((failure: Error) => setError(failure.message));
  }, []);
  async function check() {
    setBusy(true);
    try {
      setStatus(await api<GoogleStatus>("/api/settings/google/check", { method: "POST", body: {} }));
      // A check that got through answers for the connection: an earlier failure to reach the agent no longer holds.
      setError(undefined);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="settings-heading">
      <h1 id="settings-heading">Settings</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {status && (
        <section class="facts" aria-label="Google connection">
          <h2>Google connection</h2>
          <p>{status.description}</p>
          <p class="muted">Customer: {status.customerId}</p>
          <Status class={status.ok === false ? "error" : undefined} testId="google-check">
            {status.ok === undefined ? (
              "Not checked yet."
            ) : (
              <>
                {status.message} {status.checkedAt ? <span class="muted">({when(status.checkedAt)})</span> : null}
              </>
            )}
          </Status>
          <button type="button" class="secondary" onClick={check} disabled={busy}>
            {busy ? "Checking…" : "Check the connection"}
          </button>
        </section>
      )}
    </section>
  );
}
