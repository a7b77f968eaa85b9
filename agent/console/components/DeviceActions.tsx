/**
 * What staff can do to one device, as `controls.can` allows (the agent stays the authority):
 * mark it lost, disable it now, re-enable it, deprovision it, send it a remote command, mark it
 * found, lend it as a loaner. Every action asks for a reason and a confirmation that names the
 * device; deprovision and powerwash make the person type the action out. The device's actions
 * show with their live state (requested → sent → confirmed | failed) while any is open.
 */
import { useRef, useState } from "preact/hooks";
import {
  type DeviceAction,
  type DeviceCommand,
  type DeviceControls,
  type DeviceDetail,
  deprovisionReasonLabels,
  deprovisionReasons,
  deviceCommandLabels,
  deviceCommands,
  expectedConfirmation,
} from "../../../shared";
import { api } from "../api";
import { age, when } from "../format";
import { Status } from "./Status";

type Dialog =
  | { kind: "missing" }
  | { kind: "disable" | "reenable" | "deprovision" }
  | { kind: "command"; command: DeviceCommand }
  | { kind: "found" }
  | { kind: "loan" };

const stateWords: Record<DeviceAction["state"], string> = {
  requested: "requested",
  sent: "sent to Google",
  confirmed: "confirmed by Google",
  failed: "failed",
};

export function actionLabel(action: DeviceAction): string {
  if (action.kind === "command")
    return deviceCommandLabels[action.commandType as DeviceCommand]?.split(" (")[0] ?? String(action.commandType);
  return { disable: "Disable", reenable: "Re-enable", deprovision: "Deprovision" }[action.kind];
}

/** The device named as people know it: serial, asset tag, student. */
function DeviceName({ device }: { device: DeviceDetail }) {
  const network = device.lastKnownNetwork[0];
  return (
    <dl class="device-name">
      <div>
        <dt>Serial</dt>
        <dd>{device.serialNumber ?? device.deviceId}</dd>
      </div>
      {device.annotatedAssetId && (
        <div>
          <dt>Asset tag</dt>
          <dd>{device.annotatedAssetId}</dd>
        </div>
      )}
      <div>
        <dt>Assigned student</dt>
        <dd>{device.annotatedUser ?? "nobody"}</dd>
      </div>
      <div>
        <dt>Last sync</dt>
        <dd>{device.lastSync ? `${when(device.lastSync)} (${age(device.lastSync)})` : "never"}</dd>
      </div>
      <div>
        <dt>Last known network</dt>
        <dd>
          {network
            ? [network.ipAddress, network.wanIpAddress && `public ${network.wanIpAddress}`].filter(Boolean).join(", ")
            : "unknown"}
        </dd>
      </div>
    </dl>
  );
}

function ActionDialog({
  dialog,
  device,
  ticket,
  onDone,
  onCancel,
}: {
  dialog: Dialog;
  device: DeviceDetail & DeviceControls;
  /** The ticket the person came from: the action is recorded on it too. */
  ticket?: number;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const [reason, setReason] = useState("");
  const [confirm, setConfirm] = useState("");
  const [deprovisionReason, setDeprovisionReason] = useState("");
  const [reenable, setReenable] = useState(false);
  const [userEmail, setUserEmail] = useState("");
  const [dueAt, setDueAt] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const name = device.serialNumber ?? device.deviceId;
  const guarded =
    dialog.kind === "disable" ||
    dialog.kind === "reenable" ||
    dialog.kind === "deprovision" ||
    dialog.kind === "command";
  const expected = guarded
    ? expectedConfirmation(dialog.kind === "command" ? dialog.command : dialog.kind, [device])
    : "";
  const title = {
    missing: `Mark ${name} lost or stolen`,
    disable: `Disable ${name}`,
    reenable: `Re-enable ${name}`,
    deprovision: `Deprovision ${name}`,
    command: dialog.kind === "command" ? `${deviceCommandLabels[dialog.command]}: ${name}` : "",
    found: `${name} was found`,
    loan: `Lend ${name} as a loaner`,
  }[dialog.kind];

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const id = encodeURIComponent(device.deviceId);
    try {
      if (dialog.kind === "missing") {
        await api(`/api/devices/${id}/missing`, { method: "POST", body: { reason, ticketNumber: ticket } });
        onDone(`${name} is marked missing. Disable it now, or the overnight lockdown will.`);
      } else if (dialog.kind === "command") {
        await api(`/api/devices/${id}/commands`, {
          method: "POST",
          // A support packet's files are attached to this ticket when Google has them.
          body: { command: dialog.command, reason, confirm, ticketNumber: ticket },
        });
        onDone(`${deviceCommandLabels[dialog.command].split(" (")[0]} requested for ${name}.`);
      } else if (dialog.kind === "found") {
        await api(`/api/devices/${id}/found`, { method: "POST", body: { note: reason, reenable } });
        onDone(`${name} is no longer missing${reenable ? "; re-enabling it" : ""}.`);
      } else if (dialog.kind === "loan") {
        await api(`/api/devices/${id}/loan`, {
          method: "POST",
          body: { userEmail, dueAt: dueAt ? new Date(dueAt).toISOString() : "" },
        });
        onDone(`${name} is lent to ${userEmail}.`);
      } else {
        await api("/api/device-actions", {
          method: "POST",
          body: {
            deviceIds: [device.deviceId],
            action: dialog.kind,
            reason,
            confirm,
            ticketNumber: ticket,
            ...(dialog.kind === "deprovision" ? { deprovisionReason } : {}),
          },
        });
        onDone(`${title}: requested. Its state shows below as Google answers.`);
      }
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="dialog" aria-label={title} onSubmit={submit}>
      <h3>{title}</h3>
      <DeviceName device={device} />
      {dialog.kind === "reenable" && <p class="notice">Re-enabling a device takes a Chrome licence again.</p>}
      {dialog.kind === "found" && device.can.disable && device.status === "DISABLED" && (
        <label class="inline">
          <input type="checkbox" checked={reenable} onChange={(e) => setReenable(e.currentTarget.checked)} /> Re-enable
          it too (takes a Chrome licence again)
        </label>
      )}
      {dialog.kind === "deprovision" && (
        <>
          <p class="notice">
            A deprovisioned device leaves the district's management; it must be wiped before it can enrol again.
          </p>
          <label>
            Google's reason
            <select required value={deprovisionReason} onChange={(e) => setDeprovisionReason(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {deprovisionReasons.map((r) => (
                <option key={r} value={r}>
                  {deprovisionReasonLabels[r]}
                </option>
              ))}
            </select>
          </label>
        </>
      )}
      {dialog.kind === "command" && dialog.command === "REMOTE_POWERWASH" && (
        <p class="notice">A powerwash erases everything on the device and may remove its enrolment.</p>
      )}
      {dialog.kind === "loan" ? (
        <>
          <label>
            Student's email
            <input type="email" required value={userEmail} onInput={(e) => setUserEmail(e.currentTarget.value)} />
          </label>
          <label>
            Due back
            <input type="datetime-local" required value={dueAt} onInput={(e) => setDueAt(e.currentTarget.value)} />
          </label>
        </>
      ) : (
        <label>
          {dialog.kind === "found" ? "Where it was found" : "Reason"}
          <input required minLength={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
      )}
      {guarded && (
        <label>
          Type <strong>{expected}</strong> to confirm
          <input required value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} autoComplete="off" />
        </label>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Sending…" : title}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ActionList({ actions }: { actions: DeviceAction[] }) {
  if (!actions.length) return <p class="muted">No actions on this device yet.</p>;
  return (
    <ul class="timeline" aria-label="Actions">
      {actions.map((a) => (
        <li key={a.id} data-testid={`action-${a.kind}${a.commandType ? `-${a.commandType}` : ""}`}>
          <strong>{actionLabel(a)}</strong>: <span class={`state-${a.state}`}>{stateWords[a.state]}</span>
          {a.commandState ? ` (${a.commandState})` : ""} · {a.requestedBy}, {when(a.createdAt)} · “{a.reason}”
          {a.error ? <span class="error"> — {a.error}</span> : null}
          {a.state === "requested" && a.attempts > 0 && a.nextAttemptAt
            ? ` — Google is failing; trying again ${when(a.nextAttemptAt)}`
            : ""}
        </li>
      ))}
    </ul>
  );
}

export function DeviceActions({
  device,
  ticket,
  onChanged,
}: {
  device: DeviceDetail & DeviceControls;
  /** The ticket the person came from, if any. */
  ticket?: number;
  /** Reloads the device; a promise, when it gives one, of the reload done. */
  onChanged: () => unknown;
}) {
  const [dialog, setDialog] = useState<Dialog>();
  const [notice, setNotice] = useState<string>();
  /** Why the last thing asked for here was refused; cleared when the person asks for the next. */
  const [error, setError] = useState<string>();
  /** A return is on its way: the button waits (`aria-disabled`, which keeps focus on it) and a click does nothing. */
  const [returning, setReturning] = useState(false);
  const returnSent = useRef(false);
  const { can } = device;
  const status = device.status;
  const open = (d: Dialog) => {
    setNotice(undefined);
    setError(undefined);
    setDialog(d);
  };
  async function giveBack() {
    if (returnSent.current) return;
    returnSent.current = true;
    setReturning(true);
    setNotice(undefined);
    setError(undefined);
    try {
      await api(`/api/devices/${encodeURIComponent(device.deviceId)}/return`, { method: "POST", body: {} });
      setNotice("Loaner returned.");
      // The button waits until the page shows the loan ended: a second return would be refused.
      await onChanged();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      returnSent.current = false;
      setReturning(false);
    }
  }
  return (
    <section class="actions-panel" aria-label="Device actions">
      <h2>Actions</h2>
      {device.missing && (
        <p class="notice" data-testid="missing-banner">
          Missing since {when(device.missing.since)} ({device.missing.reason}), marked by {device.missing.markedBy}
          {device.missing.ticketNumber ? (
            <>
              {" "}
              — <a href={`#/tickets/${device.missing.ticketNumber}`}>ticket #{device.missing.ticketNumber}</a>
            </>
          ) : null}
          .
        </p>
      )}
      {device.loan && (
        <p class="notice">
          On loan to {device.loan.userEmail}, due {when(device.loan.dueAt)}.
        </p>
      )}
      <div class="row">
        {can.markMissing && !device.missing && (
          <button type="button" class="secondary" onClick={() => open({ kind: "missing" })}>
            Mark lost
          </button>
        )}
        {can.disable && status !== "DISABLED" && status !== "DEPROVISIONED" && (
          <button type="button" class="primary" onClick={() => open({ kind: "disable" })}>
            Disable now
          </button>
        )}
        {can.markMissing && device.missing && (
          <button type="button" class="secondary" onClick={() => open({ kind: "found" })}>
            Mark found
          </button>
        )}
        {can.disable && status === "DISABLED" && !device.missing && (
          <button type="button" class="secondary" onClick={() => open({ kind: "reenable" })}>
            Re-enable
          </button>
        )}
        {can.loan && !device.loan && !device.missing && (
          <button type="button" class="secondary" onClick={() => open({ kind: "loan" })}>
            Lend as loaner
          </button>
        )}
        {can.loan && device.loan && (
          <button type="button" class="secondary" onClick={giveBack} aria-disabled={returning}>
            Loaner returned
          </button>
        )}
      </div>
      {can.command && status !== "DEPROVISIONED" && (
        <details>
          <summary>Remote commands and deprovision</summary>
          <div class="row">
            {deviceCommands.map((command) => (
              <button type="button" class="secondary" key={command} onClick={() => open({ kind: "command", command })}>
                {deviceCommandLabels[command].split(" (")[0]}
              </button>
            ))}
            {can.disable && (
              <button type="button" class="secondary danger" onClick={() => open({ kind: "deprovision" })}>
                Deprovision
              </button>
            )}
          </div>
        </details>
      )}
      {dialog && (
        <ActionDialog
          dialog={dialog}
          device={device}
          ticket={ticket}
          onCancel={() => setDialog(undefined)}
          onDone={(message) => {
            setDialog(undefined);
            setNotice(message);
            onChanged();
          }}
        />
      )}
      <Status>{notice}</Status>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <h3>This device's actions</h3>
      <ActionList actions={device.actions} />
    </section>
  );
}
