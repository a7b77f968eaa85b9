/**
 * Filter integrity on one screen: whether any school's filtering was weakened (each drifted
 * setting with what it should be, what it is, and the OU that set it), running a check with its
 * progress, and for IT leads: restoring an OU from a dry run, the write queue, pushing TechDesk to
 * a school, and the baseline itself (edited district-wide only).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { Alert, useAction } from "../components/FilterAction";
import { BaselineEditor } from "../components/FilterBaselineEditor";
import { CheckStatus } from "../components/FilterCheckStatus";
import { type Dashboard, type Preview, shown } from "../components/FilterDashboard";
import { DeviceReports } from "../components/FilterDeviceReports";
import { History } from "../components/FilterHistory";
import { PushApp, PushTechdesk } from "../components/FilterPush";
import { Queue } from "../components/FilterQueue";
import { RestorePanel } from "../components/FilterRestorePanel";
import { LoadFailed } from "../components/LoadFailed";
import { Status } from "../components/Status";
import { age } from "../format";

/** Work this person started on this page, followed on the dashboard until it is done. */
type Started = { kind: "check" } | { kind: "restore"; id: string; ouPath: string };

/**
 * The notice once `dashboard` shows `work` done, or undefined while it is still going. A finished
 * check leaves none: the check's own status says how it went. A restore says whether Google took it.
 */
function doneNotice(work: Started, dashboard: Dashboard): { text?: string } | undefined {
  if (work.kind === "check") return dashboard.running ? undefined : {};
  const restore = dashboard.queue.remediations.find((r) => r.id === work.id);
  if (restore?.state === "queued" || restore?.state === "applying") return undefined;
  if (restore?.state === "applied")
    return { text: `Restore of ${work.ouPath} applied: Google has the baseline's settings there again.` };
  if (restore?.state === "failed") return { text: `Restore of ${work.ouPath} failed: ${restore.error}` };
  // No longer in the list the dashboard gives: there is nothing left to say about it.
  return {};
}

export function Filter() {
  const [data, setData] = useState<Dashboard>();
  // Why the screen could not be loaded, kept apart from why an action failed: the next load that
  // succeeds clears it, and the poll must not erase an action's error.
  const [loadError, setLoadError] = useState<string>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [preview, setPreview] = useState<Preview>();
  const checkStart = useAction(setError);
  const restorePreview = useAction(setError);
  const heading = useRef<HTMLHeadingElement>(null);
  // The work the notice is about, and how many loads had started when it was started: only a
  // dashboard loaded after that can show it done.
  const following = useRef<{ work: Started; after: number } | undefined>(undefined);
  const loads = useRef(0);
  function follow(work: Started, text: string) {
    following.current = { work, after: loads.current };
    setNotice(text);
  }
  const load = (background = false) => {
    const sequence = ++loads.current;
    return api<Dashboard>("/api/filter", { background }).then(
      (answer) => {
        setData(answer);
        setLoadError(undefined);
        const followed = following.current;
        const done = followed && sequence > followed.after ? doneNotice(followed.work, answer) : undefined;
        if (done) {
          following.current = undefined;
          setNotice(done.text);
        }
        return true;
      },
      (failure: Error) => {
        setLoadError(failure.message);
        return false;
      },
    );
  };
  const busyElsewhere =
    data?.running || data?.queue.remediations.some((r) => r.state === "queued" || r.state === "applying");
  useEffect(() => {
    load();
  }, []);
  // While a check runs or writes are queued, keep the screen current.
  useEffect(() => {
    if (!busyElsewhere) return;
    const timer = setInterval(() => load(true), 1500);
    return () => clearInterval(timer);
  }, [busyElsewhere]);

  const runCheck = () =>
    checkStart.run(async () => {
      await api("/api/filter/checks", { method: "POST", body: {} });
      follow({ kind: "check" }, "Check started.");
      load();
    });

  const dryRun = (ouPath: string) =>
    restorePreview.run(async () => {
      setPreview(
        await api<Preview>("/api/filter/restores/preview", { method: "POST", body: { kind: "restore", ouPath } }),
      );
    });

  const title = (
    <h1 id="filter-heading" ref={heading} tabIndex={-1}>
      Filter integrity
    </h1>
  );
  const loadFailed = loadError && <LoadFailed message={loadError} onRetry={load} landing={() => heading.current} />;
  if (!data)
    return (
      <section aria-labelledby="filter-heading">
        {title}
        {loadFailed || <p class="loading">Loading…</p>}
      </section>
    );
  const drifted = data.ous.filter((o) => o.drift > 0);
  const missingOnly = data.ous.filter((o) => o.drift === 0 && o.missing > 0);
  const clean = data.ous.filter((o) => o.drift === 0 && o.missing === 0);
  const schools = [...new Set(data.ous.map((o) => o.ouPath.split("/").slice(0, 3).join("/")))].filter(
    (p) => p.split("/").length === 3,
  );

  return (
    <section aria-labelledby="filter-heading">
      {title}
      <CheckStatus data={data} />
      {data.canRun && (
        <button type="button" class="primary" onClick={runCheck} disabled={data.running || checkStart.busy}>
          Run check now
        </button>
      )}
      <Status testId="filter-notice">{notice}</Status>
      {loadFailed}
      <Alert message={error} />

      <p
        class={data.verdict.kind === "weakened" || data.verdict.kind === "missing" ? "error" : undefined}
        data-testid="filter-verdict"
      >
        {data.verdict.text}
      </p>

      {[...drifted, ...missingOnly].map((ou) => (
        <section class="facts" key={ou.ouPath} aria-label={ou.ouPath} data-testid={`ou-${ou.ouPath}`}>
          <h2>{ou.ouPath}</h2>
          <p class="muted">
            {ou.pass} pass, {ou.drift} drift, {ou.missing} missing
          </p>
          <table>
            <thead>
              <tr>
                <th>Setting</th>
                <th>Expected</th>
                <th>Found</th>
                <th>Set at</th>
                <th>Since</th>
                <th>Ticket</th>
              </tr>
            </thead>
            <tbody>
              {ou.problems.map((p) => (
                <tr key={p.rule} class={p.status === "drift" ? "drift" : undefined}>
                  <td>
                    {p.label} <span class="badge">{p.status}</span>
                  </td>
                  <td>{shown(p.expected)}</td>
                  <td>{shown(p.actual)}</td>
                  <td>{p.setBy ?? "—"}</td>
                  <td>{age(p.firstSeen)}</td>
                  <td>{p.ticketNumber ? <a href={`#/tickets/${p.ticketNumber}`}>#{p.ticketNumber}</a> : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <History ouPath={ou.ouPath} />
          {data.canChangePolicy && (
            <button type="button" class="secondary" disabled={restorePreview.busy} onClick={() => dryRun(ou.ouPath)}>
              Restore baseline…
            </button>
          )}
          {preview?.ouPath === ou.ouPath && (
            <RestorePanel
              preview={preview}
              onCancel={() => setPreview(undefined)}
              onApplied={(restore) => {
                setPreview(undefined);
                follow(
                  { kind: "restore", id: restore.id, ouPath: ou.ouPath },
                  `Restore of ${ou.ouPath} queued: it is written to Google below, then checked again.`,
                );
                load();
              }}
            />
          )}
        </section>
      ))}

      {clean.length > 0 && (
        <details>
          <summary>{clean.length} OUs match the baseline</summary>
          <ul>
            {clean.map((o) => (
              <li key={o.ouPath}>
                {o.ouPath} ({o.pass} settings)
              </li>
            ))}
          </ul>
        </details>
      )}

      <DeviceReports devices={data.devices} />

      <Queue queue={data.queue} />
      {data.canPushApps && schools.length > 0 && <PushTechdesk schools={schools} onQueued={load} />}
      {data.canPushApps && <PushApp ous={data.ous.map((o) => o.ouPath)} onQueued={load} />}
      <BaselineEditor canEdit={data.canEditBaseline} />
    </section>
  );
}
