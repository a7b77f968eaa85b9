/**
 * The fallback settings page for devices without policy (a pilot, a developer's machine). When the
 * district sets the values by policy they are shown here read-only.
 */
import { useEffect, useState } from "preact/hooks";
import { browser } from "wxt/browser";
import { managementPermission } from "../compliance";
import { agentSettings, optionsSettings, type ResolvedSettings, resolveSettings } from "../config";

/**
 * The extension check (are the district's required extensions present and on?) needs the optional
 * `management` permission. A district grants it by policy; on a development install it is asked for here.
 */
function ExtensionCheck() {
  const [granted, setGranted] = useState<boolean>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    browser.permissions
      .contains(managementPermission)
      .then(setGranted)
      .catch((failure: Error) => setError(failure.message));
  }, []);
  async function grant() {
    try {
      setGranted(await browser.permissions.request(managementPermission));
    } catch (failure) {
      setError((failure as Error).message);
    }
  }
  return (
    <section aria-label="Extension check">
      <h2>Extension check</h2>
      {granted ? (
        <p class="muted">TechDesk may see which extensions are installed, to tell the district's filter audit.</p>
      ) : (
        <>
          <p class="muted">
            Let TechDesk see which extensions are installed, so the district can check that its filter is present and
            turned on. Districts usually grant this by policy.
          </p>
          <button type="button" class="secondary" onClick={grant}>
            Allow the extension check
          </button>
        </>
      )}
      {error && <p class="error">{error}</p>}
    </section>
  );
}

export function Options() {
  const [resolved, setResolved] = useState<ResolvedSettings>();
  const [agentUrl, setAgentUrl] = useState("");
  const [enrollmentToken, setEnrollmentToken] = useState("");
  const [message, setMessage] = useState<{ text: string; error: boolean }>();

  useEffect(() => {
    resolveSettings().then((r) => {
      setResolved(r);
      setAgentUrl(r.settings?.agentUrl ?? "");
      setEnrollmentToken(r.settings?.enrollmentToken ?? "");
    });
  }, []);

  async function save(event: Event) {
    event.preventDefault();
    const parsed = agentSettings.safeParse({
      agentUrl: agentUrl.trim(),
      enrollmentToken: enrollmentToken.trim(),
    });
    if (!parsed.success) {
      setMessage({
        text: "Enter the agent's http(s):// address and the enrollment token from the console.",
        error: true,
      });
      return;
    }
    await optionsSettings.setValue(parsed.data);
    setMessage({ text: "Saved.", error: false });
  }

  if (!resolved) return <main>Loading…</main>;
  const readOnly = resolved.source === "policy";
  return (
    <main>
      <h1>TechDesk settings</h1>
      {readOnly && <p class="notice">Your school sets these by policy; they cannot be changed here.</p>}
      <form onSubmit={save}>
        <label for="agent-url">Agent URL</label>
        <input
          id="agent-url"
          type="url"
          value={agentUrl}
          readOnly={readOnly}
          onInput={(e) => setAgentUrl(e.currentTarget.value)}
        />
        <label for="enrollment-token">Enrollment token</label>
        <input
          id="enrollment-token"
          value={enrollmentToken}
          readOnly={readOnly}
          onInput={(e) => setEnrollmentToken(e.currentTarget.value)}
        />
        {!readOnly && (
          <div class="actions">
            <button type="submit" class="primary">
              Save
            </button>
          </div>
        )}
        {message && (
          <p role="status" class={message.error ? "error" : "muted"}>
            {message.text}
          </p>
        )}
      </form>
      <ExtensionCheck />
    </main>
  );
}
