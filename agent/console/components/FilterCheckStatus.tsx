/** How the Filter page's last check went, or how far the running one has got. */
import { age, when } from "../format";
import { Alert } from "./FilterAction";
import type { Dashboard } from "./FilterDashboard";
import { Status } from "./Status";

/**
 * One status region from the first render whose text changes (none, checking, last check), so a
 * screen reader hears the progress start and the check finish; a failed check is an alert.
 */
export function CheckStatus({ data }: { data: Dashboard }) {
  const last = data.lastCheck;
  if (!last) return <Status>No check has run yet.</Status>;
  const d = last.detail as { ousDone?: number; ousTotal?: number; ous?: number; drift?: number; missing?: number };
  if (last.status === "running" || data.running)
    return (
      <Status testId="check-progress">
        Checking… {d.ousDone ?? 0} of {d.ousTotal ?? "?"} OUs.
      </Status>
    );
  if (last.status === "failed")
    return <Alert message={`The last check (${when(last.startedAt)}) failed: ${last.error}`} />;
  return (
    <Status testId="last-check">
      Last check {age(last.finishedAt ?? last.startedAt)} against baseline version {data.baselineVersion}: {d.ous} OUs,{" "}
      {d.drift ?? 0} drifted setting{d.drift === 1 ? "" : "s"}, {d.missing ?? 0} missing.
    </Status>
  );
}
