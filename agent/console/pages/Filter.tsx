/**
 * Filter integrity on one screen: whether any school's filtering was weakened (each drifted
 * setting with what it should be, what it is, and the OU that set it), running a check with its
 * progress, and for IT leads: restoring an OU from a dry run, the write queue, pushing TechDesk to
 * a school, and the baseline itself (edited district-wide only).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { FilterVerdict } from "../../../shared";
import { api } from "../api";
import { type PlannedWrite, PushApp, PushTechdesk } from "../components/FilterPush";
import { LoadFailed } from "../components/LoadFailed";
import { Status } from "../components/Status";
import { age, when } from "../format";

interface Problem {
  rule: string;
  label: string;
  status: "drift" | "missing";
  expected?: unknown;
  actual?: unknown;
  setBy?: string;
  firstSeen: string;
  ticketNumber?: number;
}
interface OuStatus {
  ouPath: string;
  pass: number;
  drift: number;
  missing: number;
  problems: Problem[];
}
interface Remediation {
  id: string;
  kind: "restore" | "apps";
  ouPath: string;
  state: "queued" | "applying" | "applied" | "failed";
  writes: PlannedWrite[];
  requestedBy: string;
  createdAt: string;
  finishedAt?: string;
  error?: string;
}
interface Dashboard {
  baselineVersion: number;
  running: boolean;
  /** The agent's one-line answer: weakened, settings missing, as the baseline wants, or not checked. */
  verdict: FilterVerdict;
  lastCheck?: {
    status: string;
    startedAt: string;
    finishedAt?: string;
    error?: string;
    detail: Record<string, unknown>;
  };
  ous: OuStatus[];
  canRun: boolean;
  canChangePolicy: boolean;
  canPushApps: boolean;
  canEditBaseline: boolean;
  queue: { remediations: Remediation[]; writesWaiting: number };
  devices: {
    disagreeing: {
      deviceId: string;
      serialNumber?: string;
      orgUnitPath?: string;
      reportedAt: string;
      problems: string[];
    }[];
    reporting: number;
    withoutManagement: number;
  };
}
interface Preview {
  kind: "restore" | "apps";
  ouPath: string;
  writes: PlannedWrite[];
  planHash: string;
}

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

const shown = (value: unknown) => (value === undefined ? "not set" : JSON.stringify(value));

const Alert = ({ message }: { message?: string }) =>
  message ? (
    <p class="error" role="alert">
      {message}
    </p>
  ) : null;

/**
 * One status region from the first render whose text changes (none, checking, last check), so a
 * screen reader hears the progress start and the check finish; a failed check is an alert.
 */
function CheckStatus({ data }: { data: Dashboard }) {
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

function RestorePanel({
  preview,
  onApplied,
  onCancel,
}: {
  preview: Preview;
  /** Called with the restore the agent queued. */
  onApplied: (restore: Remediation) => void;
  onCancel: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function apply() {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api<{ remediation: Remediation }>("/api/filter/restores", {
        method: "POST",
        body: { kind: preview.kind, ouPath: preview.ouPath, planHash: preview.planHash },
      });
      onApplied(answer.remediation);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }
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

function Queue({ queue }: { queue: Dashboard["queue"] }) {
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

interface HistoryEntry {
  rule: string;
  label: string;
  status: string;
  expected?: unknown;
  actual?: unknown;
  setBy?: string;
  firstSeen: string;
  resolvedAt?: string;
  ticketNumber?: number;
}

/** Every drift an OU has had: when it appeared, when it went, and its ticket (loaded when opened). */
function History({ ouPath }: { ouPath: string }) {
  const [entries, setEntries] = useState<HistoryEntry[]>();
  const [error, setError] = useState<string>();
  function open(event: Event) {
    if (!(event.currentTarget as HTMLDetailsElement).open || entries) return;
    api<{ history: HistoryEntry[] }>(`/api/filter/history?ou=${encodeURIComponent(ouPath)}`)
      .then((answer) => {
        setEntries(answer.history);
        setError(undefined);
      })
      .catch((failure: Error) => setError(failure.message));
  }
  return (
    <details onToggle={open}>
      <summary>History</summary>
      <Alert message={error} />
      {entries && entries.length === 0 && <p>No drift recorded here.</p>}
      {entries && entries.length > 0 && (
        <ul>
          {entries.map((e) => (
            <li key={`${e.rule}:${e.firstSeen}`}>
              {e.label}: {e.status}, found {shown(e.actual)} (set at {e.setBy ?? "—"}), {when(e.firstSeen)}
              {e.resolvedAt ? ` → put right ${when(e.resolvedAt)}` : " — still open"}
              {e.ticketNumber ? (
                <>
                  {" "}
                  (<a href={`#/tickets/${e.ticketNumber}`}>#{e.ticketNumber}</a>)
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}

function BaselineEditor({ canEdit }: { canEdit: boolean }) {
  const [text, setText] = useState<string>();
  const [info, setInfo] = useState<{
    savedBy: string;
    savedAt?: string;
    versions: { version: number; savedBy: string; savedAt: string }[];
  }>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [saving, setSaving] = useState(false);
  const load = () =>
    api<{
      baseline: unknown;
      savedBy: string;
      savedAt?: string;
      versions: { version: number; savedBy: string; savedAt: string }[];
    }>("/api/filter/baseline")
      .then((answer) => {
        setText(JSON.stringify(answer.baseline, null, 2));
        setInfo(answer);
      })
      .catch((failure: Error) => setError(failure.message));
  useEffect(() => {
    load();
  }, []);
  async function save() {
    setError(undefined);
    setNotice(undefined);
    let body: unknown;
    try {
      body = JSON.parse(text ?? "");
    } catch (failure) {
      setError(`The baseline is not valid JSON: ${(failure as Error).message}`);
      return;
    }
    // One save at a time: each saved request is a new version, so a double click saved two.
    setSaving(true);
    try {
      const saved = await api<{ baseline: { version: number } }>("/api/filter/baseline", { method: "POST", body });
      setNotice(`Saved as version ${saved.baseline.version}. The next check uses it.`);
      load();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setSaving(false);
    }
  }
  return (
    <details class="facts">
      <summary>
        Baseline{info ? ` (saved by ${info.savedBy}${info.savedAt ? `, ${when(info.savedAt)}` : ""})` : ""}
      </summary>
      <p class="muted">
        Expected filter settings per OU subtree (deeper rules win) and the apps each must force-install.
        {canEdit ? "" : " Only district-wide policy administrators can change it."}
      </p>
      <label>
        Baseline (JSON)
        <textarea rows={18} readOnly={!canEdit} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      {canEdit && (
        <button type="button" class="primary" onClick={save} disabled={saving}>
          Save as a new version
        </button>
      )}
      <Status>{notice}</Status>
      <Alert message={error} />
      {info && info.versions.length > 0 && (
        <ul class="muted">
          {info.versions.map((v) => (
            <li key={v.version}>
              Version {v.version}: {v.savedBy}, {when(v.savedAt)}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}

export function Filter() {
  const [data, setData] = useState<Dashboard>();
  // Why the screen could not be loaded, kept apart from why an action failed: the next load that
  // succeeds clears it, and the poll must not erase an action's error.
  const [loadError, setLoadError] = useState<string>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [preview, setPreview] = useState<Preview>();
  const [busy, setBusy] = useState(false);
  const [startingCheck, setStartingCheck] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  // The work the notice is about, and how many loads had started when it was started: only a
  // dashboard loaded after that can show it done.
  const following = useRef<{ work: Started; after: number } | undefined>(undefined);
  const loads = useRef(0);
  function follow(work: Started, text: string) {
    following.current = { work, after: loads.current };
    setNotice(text);
  }
  const load = () => {
    const sequence = ++loads.current;
    return api<Dashboard>("/api/filter").then(
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
    const timer = setInterval(load, 1500);
    return () => clearInterval(timer);
  }, [busyElsewhere]);

  async function runCheck() {
    setError(undefined);
    setStartingCheck(true);
    try {
      await api("/api/filter/checks", { method: "POST", body: {} });
      follow({ kind: "check" }, "Check started.");
      load();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setStartingCheck(false);
    }
  }

  async function dryRun(ouPath: string) {
    setBusy(true);
    setError(undefined);
    try {
      setPreview(
        await api<Preview>("/api/filter/restores/preview", { method: "POST", body: { kind: "restore", ouPath } }),
      );
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

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
        <button type="button" class="primary" onClick={runCheck} disabled={data.running || startingCheck}>
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
            <button type="button" class="secondary" disabled={busy} onClick={() => dryRun(ou.ouPath)}>
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

      <section aria-labelledby="devices-heading">
        <h2 id="devices-heading">Devices</h2>
        <p class="muted">
          {data.devices.reporting} device{data.devices.reporting === 1 ? "" : "s"} reported what they see;{" "}
          {data.devices.withoutManagement} could not check their extensions (the district has not granted TechDesk the
          management permission there).
        </p>
        {data.devices.disagreeing.length ? (
          <table aria-label="Devices that disagree with policy">
            <thead>
              <tr>
                <th>Device</th>
                <th>OU</th>
                <th>What is wrong</th>
                <th>Reported</th>
              </tr>
            </thead>
            <tbody>
              {data.devices.disagreeing.map((d) => (
                <tr key={d.deviceId}>
                  <td>
                    {d.deviceId.startsWith("enrollment:") ? (
                      (d.serialNumber ?? "unknown device")
                    ) : (
                      <a href={`#/devices/${encodeURIComponent(d.deviceId)}`}>{d.serialNumber ?? d.deviceId}</a>
                    )}
                  </td>
                  <td>{d.orgUnitPath ?? "—"}</td>
                  <td>{d.problems.join("; ")}</td>
                  <td>{age(d.reportedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>No device reports anything that disagrees with policy.</p>
        )}
      </section>

      <Queue queue={data.queue} />
      {data.canPushApps && schools.length > 0 && <PushTechdesk schools={schools} onQueued={load} />}
      {data.canPushApps && <PushApp ous={data.ous.map((o) => o.ouPath)} onQueued={load} />}
      <BaselineEditor canEdit={data.canEditBaseline} />
    </section>
  );
}
