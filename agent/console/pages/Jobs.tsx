/** Scheduled jobs: when they run next, how their last runs went (progress, duration, errors), and Run now. */
import { useEffect, useState } from "preact/hooks";
import type { JobsPage, ScheduledJob } from "../../../shared";
import { api } from "../api";
import { when } from "../format";

/** Figures whose names do not read well split into words. */
const detailLabels: Record<string, string> = { ousDone: "OUs done", ousTotal: "OUs in all" };

function describeDetail(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${detailLabels[k] ?? k.replace(/([A-Z])/g, " $1").toLowerCase()}: ${v}`)
    .join(", ");
}

export function Jobs() {
  const [data, setData] = useState<JobsPage>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  /** Jobs asked to run whose run the page has not shown yet: their button stays disabled. */
  const [starting, setStarting] = useState<string[]>([]);
  /** Why the page could not be read; apart from `error` (Run now refused), which a poll must not erase. */
  const [loadError, setLoadError] = useState<string>();
  const load = () =>
    api<JobsPage>("/api/jobs")
      .then((loaded) => {
        setData(loaded);
        setLoadError(undefined);
      })
      .catch((failure: Error) => setLoadError(failure.message));
  useEffect(() => {
    load();
    // Runs move on by themselves: keep the page current while it is open.
    const timer = setInterval(load, 3000);
    return () => clearInterval(timer);
  }, []);

  async function runNow(job: ScheduledJob) {
    setError(undefined);
    setNotice(undefined);
    setStarting((names) => [...names, job.name]);
    try {
      await api(`/api/jobs/${job.name}/run`, { method: "POST", body: {} });
      setNotice(`${job.title} started.`);
      setTimeout(() => {
        load();
        setStarting((names) => names.filter((name) => name !== job.name));
      }, 1000);
    } catch (failure) {
      setError((failure as Error).message);
      setStarting((names) => names.filter((name) => name !== job.name));
    }
  }

  return (
    <section aria-labelledby="jobs-heading">
      <h1 id="jobs-heading">Jobs</h1>
      {[loadError, error].filter(Boolean).map((message) => (
        <p key={message} class="error" role="alert">
          {message}
        </p>
      ))}
      {notice && <p role="status">{notice}</p>}
      {data && !data.scheduledHere && (
        <p class="muted">
          This agent does not run the jobs on their schedules (<code>JOBS_ENABLED</code> is false): another agent on the
          same database runs them, or Run now does.
        </p>
      )}
      {data?.jobs.map((job) => {
        const last = job.runs[0];
        return (
          <section class="facts job" key={job.name} aria-label={job.title}>
            <h2 id={`job-${job.name}-title`}>{job.title}</h2>
            <p class="muted">
              {job.description} Schedule: <code>{job.schedule}</code>
              {job.timezone ? ` (${job.timezone})` : ""}.
            </p>
            {job.nextRunAt && <p data-testid={`next-run-${job.name}`}>Next run: {when(job.nextRunAt)}</p>}
            {last ? (
              <p data-testid={`last-run-${job.name}`}>
                Last run: <strong>{last.status}</strong> ({last.trigger}), started {when(last.startedAt)}
                {last.durationMs !== undefined ? `, took ${(last.durationMs / 1000).toFixed(1)} s` : ""}
                {Object.keys(last.detail).length ? ` — ${describeDetail(last.detail)}` : ""}
                {last.error ? <span class="error"> — {last.error}</span> : null}
              </p>
            ) : (
              <p>Not run yet.</p>
            )}
            {job.runs.length > 1 && (
              <details>
                <summary>Earlier runs</summary>
                <ul>
                  {job.runs.slice(1).map((r) => (
                    <li key={r.id}>
                      {when(r.startedAt)}: {r.status}
                      {r.durationMs !== undefined ? `, ${(r.durationMs / 1000).toFixed(1)} s` : ""}
                      {r.error ? ` — ${r.error}` : ""}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            {data.canRun && (
              <button
                type="button"
                class="secondary"
                onClick={() => runNow(job)}
                disabled={last?.status === "running" || starting.includes(job.name)}
                aria-describedby={`job-${job.name}-title`}
              >
                Run now
              </button>
            )}
          </section>
        );
      })}
    </section>
  );
}
