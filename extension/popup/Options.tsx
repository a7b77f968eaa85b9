/**
 * The fallback settings page for devices without policy (a pilot, a developer's machine). When the
 * district sets the values by policy they are shown here read-only.
 */
import { useEffect, useState } from "preact/hooks";
import { agentSettings, optionsSettings, type ResolvedSettings, resolveSettings } from "../config";

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
    </main>
  );
}
