/**
 * The audit log: every action with who, what, which device, why, the request, before and after and
 * Google's answer, in UTC; filters, more on demand, the same filters as CSV, and whether the hash
 * chain holds (a changed or removed entry breaks it).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { AuditEntry } from "../../../shared";
import { api } from "../api";
import { LoadFailed } from "../components/LoadFailed";
import { Status } from "../components/Status";

interface Filters {
  action: string;
  actor: string;
  device: string;
  from: string;
  to: string;
}

type Chain = { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number; problem: string };

const empty: Filters = { action: "", actor: "", device: "", from: "", to: "" };

function queryOf(filters: Filters, before?: number): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value.trim()) params.set(key, value.trim());
  if (before) params.set("before", String(before));
  return params.toString();
}

const brief = (value: unknown) => (value === undefined || value === null ? "" : JSON.stringify(value));

export function Audit() {
  const [filters, setFilters] = useState<Filters>(empty);
  const [applied, setApplied] = useState<Filters>(empty);
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [nextBefore, setNextBefore] = useState<number>();
  const [chain, setChain] = useState<Chain>();
  /** Why the chain could not be checked: kept apart from the entries' error, until a later check works. */
  const [chainError, setChainError] = useState<string>();
  const [error, setError] = useState<string>();
  const heading = useRef<HTMLHeadingElement>(null);
  const [busy, setBusy] = useState(false);

  async function load(which: Filters, before?: number) {
    setBusy(true);
    setError(undefined);
    try {
      const page = await api<{ entries: AuditEntry[]; nextBefore?: number }>(`/api/audit?${queryOf(which, before)}`);
      setEntries((current) => (before ? [...current, ...page.entries] : page.entries));
      setNextBefore(page.nextBefore);
      setApplied(which);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }
  const checkChain = () =>
    api<Chain>("/api/audit/verify").then(
      (answer) => {
        setChain(answer);
        setChainError(undefined);
        return true;
      },
      (failure: Error) => {
        setChainError(failure.message);
        return false;
      },
    );
  useEffect(() => {
    void load(empty);
    void checkChain();
  }, []);

  const field = (key: keyof Filters, label: string) => (
    <label>
      {label}
      <input value={filters[key]} onInput={(e) => setFilters({ ...filters, [key]: e.currentTarget.value })} />
    </label>
  );
  const day = (key: "from" | "to", label: string) => (
    <label>
      {label}
      <input
        type="date"
        value={filters[key]}
        onInput={(e) => setFilters({ ...filters, [key]: e.currentTarget.value })}
      />
    </label>
  );

  return (
    <section aria-labelledby="audit-heading">
      <h1 id="audit-heading" ref={heading} tabIndex={-1}>
        Audit log
      </h1>
      <Status testId={chain?.ok === false ? undefined : "chain"}>
        {chain?.ok && `Hash chain intact through ${chain.entries} entr${chain.entries === 1 ? "y" : "ies"}.`}
      </Status>
      {chain?.ok === false && (
        <p class="error" role="alert" data-testid="chain">
          The hash chain breaks at entry #{chain.brokenAt}: {chain.problem}
        </p>
      )}
      {chainError && (
        <LoadFailed
          message={`The hash chain could not be checked: ${chainError}`}
          onRetry={checkChain}
          landing={() => heading.current}
        />
      )}
      <form
        class="filters"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          void load(filters);
        }}
      >
        {field("action", "Action (e.g. device.disable)")}
        {field("actor", "Who")}
        {field("device", "Device id or serial")}
        {day("from", "From (UTC)")}
        {day("to", "To (UTC)")}
        <div class="filter-actions">
          <button type="submit" class="primary" disabled={busy}>
            Apply
          </button>
          <a class="secondary" href={`/api/audit/export.csv?${queryOf(applied)}`} download>
            Export CSV
          </a>
        </div>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table class="audit" aria-label="Audit entries">
        <thead>
          <tr>
            <th>#</th>
            <th>Time (UTC)</th>
            <th>Who</th>
            <th>Action</th>
            <th>Device</th>
            <th>Reason</th>
            <th>Before → after</th>
            <th>Google</th>
            <th>Request</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{e.at.replace("T", " ").replace(/\.\d+Z$/, "Z")}</td>
              <td>{e.actorName}</td>
              <td>{e.action}</td>
              <td>
                {e.serialNumber ?? ""}
                {e.deviceId ? <span class="muted"> {e.deviceId}</span> : null}
                {!e.deviceId && e.school ? e.school : null}
              </td>
              <td>{e.reason ?? ""}</td>
              <td>
                {brief(e.before)}
                {e.before !== undefined || e.after !== undefined ? " → " : ""}
                {brief(e.after)}
              </td>
              <td>{brief(e.google)}</td>
              <td class="muted">{e.requestId ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!entries.length && !busy && <p>No entries match.</p>}
      {nextBefore && (
        <button type="button" class="secondary" disabled={busy} onClick={() => load(applied, nextBefore)}>
          Load more
        </button>
      )}
    </section>
  );
}
