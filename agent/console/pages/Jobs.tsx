/** Scheduled jobs: when they run next, how their last runs went (progress, duration, errors), and Run now. */
import { useEffect, useRef, useState } from "preact/hooks";
import type { JobRun, JobsPage, ScheduledJob } from "../../../shared";
import { api } from "../api";
import { Status } from "../components/Status";
import { when } from "../format";

/** Figures whose names do not read well split into words. */
const detailLabels: Record<string, string> = { ousDone: "OUs done", ousTotal: "OUs in all" };

function describeDetail(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${detailLabels[k] ?? k.replace(/([A-Z])/g, " $1").toLowerCase()}: ${v}`)
    .join(", ");
}

/** A run's state said in a sentence, for the page's live region; its start time tells one run from the next. */
function sayRun(job: ScheduledJob, run: JobRun): string {
  const started = `started ${new Date(run.startedAt).toLocaleTimeString(undefined, { timeStyle: "short" })}`;
  if (run.status === "running") return `${job.title} is running (${started}).`;
  const took = run.durationMs !== undefined ? `, took ${(run.durationMs / 1000).toFixed(1)} s` : "";
  if (run.status === "succeeded") return `${job.title} succeeded (${started}${took}).`;
  return `${job.title} failed (${started}${took})${run.error ? `: ${run.error}` : "."}`;
}

/** Each job's newest run as an id and a state, to compare one poll's answer with the last. */
const newestRuns = (page: JobsPage) =>
  new Map(page.jobs.map((job) => [job.name, job.runs[0] ? `${job.runs[0].id} ${job.runs[0].status}` : ""]));

/**
 * The page's news for a screen reader: Run now taken, and a run starting or ending as the poll sees
 * it. A poll that finds nothing new says nothing; the first load, which finds the page as it is, neither.
 */
function useRunNews() {
  const [news, setNews] = useState<string>();
  /** The newest runs as the last load saw them. */
  const seen = useRef<Map<string, string> | undefined>(undefined);
  /** Jobs this page asked to run: "started" is said already, so their run appearing is not said again. */
  const askedHere = useRef(new Set<string>());
  return {
    news,
    say: setNews,
    asking: (name: string) => askedHere.current.add(name),
    refused: (name: string) => askedHere.current.delete(name),
    loaded(page: JobsPage) {
      const before = seen.current;
      const now = newestRuns(page);
      seen.current = now;
      if (!before) return;
      const said: string[] = [];
      for (const job of page.jobs) {
        const run = job.runs[0];
        if (!run || before.get(job.name) === now.get(job.name)) continue;
        const asked = askedHere.current.delete(job.name);
        if (!(asked && run.status === "running")) said.push(sayRun(job, run));
      }
      if (said.length) setNews(said.join(" "));
    },
  };
}

export function Jobs() {
  const [data, setData] = useState<JobsPage>();
  const [error, setError] = useState<string>();
  const runNews = useRunNews();
  /** Jobs asked to run whose run the page has not shown yet: their button stays disabled. */
  const [starting, setStarting] = useState<string[]>([]);
  /** Why the page could not be read; apart from `error` (Run now refused), which a poll must not erase. */
  const [loadError, setLoadError] = useState<string>();
  /** Loads asked for, and the latest whose answer shows: a slow answer overtaken by a later one is dropped. */
  const loads = useRef({ asked: 0, shown: 0 });
  const load = (background = false) => {
    const mine = ++loads.current.asked;
    return api<JobsPage>("/api/jobs", { background })
      .then((loaded) => {
        if (mine < loads.current.shown) return;
        loads.current.shown = mine;
        setData(loaded);
        setLoadError(undefined);
        runNews.loaded(loaded);
      })
      .catch((failure: Error) => setLoadError(failure.message));
  };
  useEffect(() => {
    load();
    // Runs move on by themselves: keep the page current while it is open.
    const timer = setInterval(() => load(true), 3000);
    return () => clearInterval(timer);
  }, []);

  async function runNow(job: ScheduledJob) {
    setError(undefined);
    runNews.say(undefined);
    runNews.asking(job.name);
    setStarting((names) => [...names, job.name]);
    try {
      await api(`/api/jobs/${job.name}/run`, { method: "POST", body: {} });
      runNews.say(`${job.title} started.`);
      setTimeout(() => {
        load(true);
        setStarting((names) => names.filter((name) => name !== job.name));
      }, 1000);
    } catch (failure) {
      runNews.refused(job.name);
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
      <Status testId="jobs-news">{runNews.news}</Status>
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
