/** Settings: how TechDesk reaches Google, and whether it works, in words. */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
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
          {status.ok === undefined ? (
            <p>Not checked yet.</p>
          ) : (
            <p role="status" class={status.ok ? "" : "error"}>
              {status.message} {status.checkedAt ? <span class="muted">({when(status.checkedAt)})</span> : null}
            </p>
          )}
          <button type="button" class="secondary" onClick={check} disabled={busy}>
            {busy ? "Checking…" : "Check the connection"}
          </button>
        </section>
      )}
    </section>
  );
}
