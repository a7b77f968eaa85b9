/** Every drift one OU has had, loaded the first time its History is opened. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { when } from "../format";
import { Alert } from "./FilterAction";
import { shown } from "./FilterDashboard";

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
export function History({ ouPath }: { ouPath: string }) {
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
