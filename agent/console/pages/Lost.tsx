/**
 * Lost & stolen: the devices marked missing (student, last sync, last known network, any disable
 * on its way), bulk disabling from a pasted or uploaded list of serials and asset tags (each line
 * shows the device it matched exactly, or that it matched none or several; only exact matches are
 * acted on), and the message disabled devices show, per school.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import {
  actionIdsPerLookup,
  type DeviceAction,
  expectedConfirmation,
  type MatchLine,
  type MissingDevice,
} from "../../../shared";
import { api } from "../api";
import { actionLabel } from "../components/DeviceActions";
import { Status } from "../components/Status";
import { age, when } from "../format";

const stateWords: Record<DeviceAction["state"], string> = {
  requested: "requested",
  sent: "sent to Google",
  confirmed: "confirmed by Google",
  failed: "failed",
};

const doneWords: Record<Exclude<DeviceAction["kind"], "command">, string> = {
  disable: "disabled",
  reenable: "re-enabled",
  deprovision: "deprovisioned",
};

/** An action's state in words; a confirmed one says what it did (a confirmed reboot disabled nothing). */
function stateOf(action: DeviceAction): string {
  return action.state === "confirmed" && action.kind !== "command" ? doneWords[action.kind] : stateWords[action.state];
}

const isOpen = (action: DeviceAction) => action.state === "requested" || action.state === "sent";

/**
 * These actions as they are now, looked up by id a page at a time, whichever batch each is in. Only
 * the follow-up's timer asks, so a session that has ended fails the lookup rather than holding it.
 */
async function actionsNow(ids: readonly string[]): Promise<DeviceAction[]> {
  const found: DeviceAction[] = [];
  for (let i = 0; i < ids.length; i += actionIdsPerLookup) {
    const part = ids.slice(i, i + actionIdsPerLookup).join(",");
    const lookup = `/api/device-actions?ids=${encodeURIComponent(part)}`;
    found.push(...(await api<{ actions: DeviceAction[] }>(lookup, { background: true })).actions);
  }
  return found;
}

function MissingList({ devices }: { devices: MissingDevice[] }) {
  if (!devices.length) return <p>No device is marked missing.</p>;
  return (
    <table aria-label="Missing devices">
      <thead>
        <tr>
          <th>Device</th>
          <th>Student</th>
          <th>Last sync</th>
          <th>Last known network</th>
          <th>Missing since</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {devices.map((m) => (
          <tr key={m.device.deviceId}>
            <td>
              <a href={`#/devices/${encodeURIComponent(m.device.deviceId)}`}>
                {m.device.serialNumber ?? m.device.deviceId}
              </a>
              {m.device.annotatedAssetId ? ` · ${m.device.annotatedAssetId}` : ""}
            </td>
            <td>{m.assignedUser ?? "—"}</td>
            <td>{m.device.lastSync ? age(m.device.lastSync) : "never"}</td>
            <td>{m.device.lastKnownNetwork[0]?.ipAddress ?? "unknown"}</td>
            <td>
              {when(m.since)} · {m.reason} ({m.markedBy})
              {m.ticketNumber ? (
                <>
                  {" "}
                  · <a href={`#/tickets/${m.ticketNumber}`}>#{m.ticketNumber}</a>
                </>
              ) : null}
            </td>
            <td>
              {m.device.status === "DISABLED"
                ? "Disabled"
                : m.lastAction
                  ? `${actionLabel(m.lastAction)}: ${stateOf(m.lastAction)}`
                  : "Not disabled yet (the overnight lockdown will)"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function BulkDisable({ canDisable, onChanged }: { canDisable: boolean; onChanged: () => void }) {
  const [text, setText] = useState("");
  const [lines, setLines] = useState<MatchLine[]>();
  const [reason, setReason] = useState("");
  const [confirm, setConfirm] = useState("");
  const [actions, setActions] = useState<DeviceAction[]>();
  const [error, setError] = useState<string>();
  /** Why the disables could not be looked up again; cleared by the next lookup that works. */
  const [followError, setFollowError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const matched = (lines ?? []).filter((l) => l.outcome === "matched").map((l) => l.devices[0]);
  const unique = [...new Map(matched.filter((d) => d !== undefined).map((d) => [d.deviceId, d])).values()];
  const expected = expectedConfirmation("disable", unique);

  async function match() {
    setBusy(true);
    setError(undefined);
    setFollowError(undefined);
    setActions(undefined);
    try {
      setLines((await api<{ lines: MatchLine[] }>("/api/device-matches", { method: "POST", body: { text } })).lines);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function upload(event: Event) {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    if (file.size > 200_000) {
      setError("That file is larger than 200 KB: give a plain list of serials or asset tags.");
      return;
    }
    setText(await file.text());
    setLines(undefined);
  }

  async function disable(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setFollowError(undefined);
    try {
      const answer = await api<{ actions: DeviceAction[] }>("/api/device-actions", {
        method: "POST",
        body: { deviceIds: unique.map((d) => d.deviceId), action: "disable", reason, confirm },
      });
      setActions(answer.actions);
      onChanged();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

  // Follow exactly the actions the request answered with until Google has answered for every
  // one: a device whose disable was already open keeps that one, from an earlier batch, and a
  // request may hold up to 2,000 devices. Only the open ones are looked up again, at 1.5 s while
  // they move and less often (up to every 15 s) while nothing changes or the lookup fails. One the
  // lookup no longer answers (its device moved to a school this person cannot see) is not asked for again.
  const [quiet, setQuiet] = useState(0);
  const [unseen, setUnseen] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    const open = actions?.filter((a) => isOpen(a) && !unseen.has(a.id)) ?? [];
    if (!actions || !open.length) return;
    let stopped = false;
    const timer = setTimeout(
      () => {
        actionsNow(open.map((a) => a.id))
          .then((found) => {
            if (stopped) return;
            setFollowError(undefined);
            const byId = new Map(found.map((a) => [a.id, a]));
            const moved = open.some((a) => byId.get(a.id)?.state !== a.state);
            const missing = open.filter((a) => !byId.has(a.id)).map((a) => a.id);
            if (missing.length) setUnseen((ids) => new Set([...ids, ...missing]));
            setQuiet((n) => (moved ? 0 : n + 1));
            if (!moved) return;
            const next = actions.map((a) => byId.get(a.id) ?? a);
            setActions(next);
            if (!next.some(isOpen)) onChanged();
          })
          .catch((failure: Error) => {
            if (stopped) return;
            setFollowError(failure.message);
            setQuiet((n) => n + 1);
          });
      },
      Math.min(15_000, 1500 * 2 ** quiet),
    );
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [actions, quiet, unseen]);

  return (
    <section class="facts" aria-labelledby="bulk-heading">
      <h2 id="bulk-heading">Find devices from a list</h2>
      <p class="muted">
        One serial number or asset tag a line (commas and tabs separate too). Only exact matches are acted on.
      </p>
      <label>
        Serials or asset tags
        <textarea rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <div class="row">
        <label>
          Or a file (.txt, .csv)
          <input type="file" accept=".txt,.csv,text/plain,text/csv" onChange={upload} />
        </label>
        <button type="button" class="secondary" disabled={busy || !text.trim()} onClick={match}>
          Match
        </button>
      </div>
      {lines && (
        <table aria-label="Matches">
          <thead>
            <tr>
              <th>Line</th>
              <th>Given</th>
              <th>Device</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr key={l.line} data-testid={`match-${l.input}`}>
                <td>{l.line}</td>
                <td>{l.input}</td>
                <td>
                  {l.outcome === "matched" && l.devices[0] ? (
                    <>
                      {l.devices[0].serialNumber}
                      {l.devices[0].annotatedAssetId ? ` · ${l.devices[0].annotatedAssetId}` : ""} ·{" "}
                      {l.devices[0].annotatedUser ?? "unassigned"} · {l.devices[0].status}
                    </>
                  ) : l.outcome === "none" ? (
                    <span class="error">No device matches this exactly.</span>
                  ) : (
                    <span class="error">
                      Several devices match ({l.devices.map((d) => d.serialNumber).join(", ")}): give the whole serial.
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {lines && canDisable && unique.length > 0 && !actions && (
        <form aria-label="Disable matched devices" onSubmit={disable}>
          <label>
            Reason
            <input required minLength={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <label>
            Type <strong>{expected}</strong> to confirm
            <input required value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} autoComplete="off" />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            Disable {unique.length} matched device{unique.length === 1 ? "" : "s"}
          </button>
        </form>
      )}
      {actions && (
        <table aria-label="Disables">
          <thead>
            <tr>
              <th>Device</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {actions.map((a) => (
              <tr key={a.id} data-testid={`disable-${a.serialNumber ?? a.deviceId}`}>
                <td>{a.serialNumber ?? a.deviceId}</td>
                <td>
                  {stateOf(a)}
                  {a.error ? <span class="error"> — {a.error}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {[error, followError].filter(Boolean).map((message) => (
        <p key={message} class="error" role="alert">
          {message}
        </p>
      ))}
    </section>
  );
}

interface SchoolMessage {
  school: string;
  message?: string;
  inheritedFrom?: string;
}

/** What a disabled Chromebook shows (return address, phone), per school, kept in Google. */
function ReturnMessages() {
  const [schools, setSchools] = useState<SchoolMessage[]>();
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  /**
   * A message is being saved: every Save waits, so a double click saves once. `aria-disabled`, not
   * `disabled`, so that the button keeps focus (Chromium moves it off a button that becomes disabled).
   */
  const [saving, setSaving] = useState(false);
  const working = useRef(false);
  useEffect(() => {
    api<{ schools: SchoolMessage[] }>("/api/return-instructions")
      .then((answer) => setSchools(answer.schools))
      .catch((failure: Error) => setError(failure.message));
  }, []);
  async function save(school: string) {
    if (working.current) return;
    working.current = true;
    setSaving(true);
    setError(undefined);
    setNotice(undefined);
    try {
      await api("/api/return-instructions", { method: "POST", body: { school, message: drafts[school] ?? "" } });
      setNotice(`Saved: disabled devices at ${school} now show this message.`);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      working.current = false;
      setSaving(false);
    }
  }
  return (
    <details class="facts">
      <summary>Message on disabled devices</summary>
      {schools?.map((s) => (
        <form
          key={s.school}
          aria-label={`Message for ${s.school}`}
          onSubmit={(e) => {
            e.preventDefault();
            void save(s.school);
          }}
        >
          <label>
            {s.school}
            {s.inheritedFrom ? ` (now inherited from ${s.inheritedFrom})` : ""}
            <textarea
              rows={2}
              value={drafts[s.school] ?? s.message ?? ""}
              onInput={(e) => setDrafts({ ...drafts, [s.school]: e.currentTarget.value })}
              placeholder="Please return this Chromebook to the front office, 123 Main St. Phone 555-0100."
            />
          </label>
          <button type="submit" class="secondary" aria-disabled={saving}>
            Save
          </button>
        </form>
      ))}
      <Status>{notice}</Status>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </details>
  );
}

export function Lost() {
  const [data, setData] = useState<{ devices: MissingDevice[]; canDisable: boolean }>();
  const [error, setError] = useState<string>();
  const load = () =>
    api<{ devices: MissingDevice[]; canDisable: boolean }>("/api/missing-devices")
      .then((loaded) => {
        setData(loaded);
        setError(undefined);
      })
      .catch((failure: Error) => setError(failure.message));
  useEffect(() => {
    load();
  }, []);
  return (
    <section aria-labelledby="lost-heading">
      <h1 id="lost-heading">Lost &amp; stolen</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data && <MissingList devices={data.devices} />}
      <BulkDisable canDisable={data?.canDisable ?? false} onChanged={load} />
      {data?.canDisable && <ReturnMessages />}
    </section>
  );
}
