/** The Filter page's changes to Google: each restore or app push, its state, and the writes waiting. */
import { age } from "../format";
import type { Dashboard } from "./FilterDashboard";
import { Status } from "./Status";

export function Queue({ queue }: { queue: Dashboard["queue"] }) {
  if (!queue.remediations.length) return null;
  return (
    <section aria-labelledby="queue-heading">
      <h2 id="queue-heading">Changes to Google</h2>
      <Status>
        {queue.writesWaiting > 0 &&
          `${queue.writesWaiting} write${queue.writesWaiting === 1 ? "" : "s"} waiting for Google's quota (30 a minute).`}
      </Status>
      <table>
        <thead>
          <tr>
            <th>OU</th>
            <th>What</th>
            <th>State</th>
            <th>Requested</th>
          </tr>
        </thead>
        <tbody>
          {queue.remediations.map((r) => (
            <tr key={r.id} data-testid={`remediation-${r.ouPath}`}>
              <td>{r.ouPath}</td>
              <td>
                {r.kind === "apps" ? "Push apps" : "Restore baseline"}: {r.writes.map((w) => w.label).join(", ")}
              </td>
              <td>
                <strong>{r.state}</strong>
                {r.error ? <span class={r.state === "failed" ? "error" : "muted"}> — {r.error}</span> : null}
              </td>
              <td>
                {r.requestedBy}, {age(r.createdAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
