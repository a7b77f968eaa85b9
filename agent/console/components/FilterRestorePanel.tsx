/** A restore's dry run for one OU: every setting it would write, and the button that queues it. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { Alert, useAction } from "./FilterAction";
import type { Preview, Remediation } from "./FilterDashboard";

export function RestorePanel({
  preview,
  onApplied,
  onCancel,
}: {
  preview: Preview;
  /** Called with the restore the agent queued. */
  onApplied: (restore: Remediation) => void;
  onCancel: () => void;
}) {
  const [error, setError] = useState<string>();
  const { busy, run } = useAction(setError);
  const apply = () =>
    run(async () => {
      const answer = await api<{ remediation: Remediation }>("/api/filter/restores", {
        method: "POST",
        body: { kind: preview.kind, ouPath: preview.ouPath, planHash: preview.planHash },
      });
      onApplied(answer.remediation);
    });
  return (
    <section class="facts" aria-label={`Dry run for ${preview.ouPath}`}>
      <h3>Dry run: {preview.ouPath}</h3>
      {preview.writes.length === 0 ? (
        <p>{preview.ouPath} already matches the baseline: nothing would be written.</p>
      ) : (
        <>
          <p>These settings would be written to Google (whole values, grouped by namespace):</p>
          <table>
            <thead>
              <tr>
                <th>Setting</th>
                <th>Now</th>
                <th>Will be</th>
              </tr>
            </thead>
            <tbody>
              {preview.writes.map((w) => (
                <tr key={`${w.policySchema}:${w.label}`}>
                  <td>{w.label}</td>
                  <td>{Object.keys(w.current).length ? JSON.stringify(w.current) : "not set"}</td>
                  <td>{JSON.stringify(w.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <Alert message={error} />
      <div class="row">
        {preview.writes.length > 0 && (
          <button type="button" class="primary" disabled={busy} onClick={apply}>
            Apply {preview.writes.length} change{preview.writes.length === 1 ? "" : "s"}
          </button>
        )}
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
