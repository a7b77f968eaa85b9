/**
 * One device: Google's facts, what staff may do to it (lost, disable, commands, loaners) with its
 * actions' live states, its tickets, and who it has been assigned to over time.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { type DeviceControls, type DeviceDetail, problemCategoryLabels } from "../../../shared";
import { api } from "../api";
import { DeviceActions } from "../components/DeviceActions";
import { DeviceFacts } from "../components/DeviceFacts";
import { statusLabels, when } from "../format";

export function DevicePage({ deviceId, ticket }: { deviceId: string; ticket?: number }) {
  const [device, setDevice] = useState<DeviceDetail & DeviceControls>();
  const [error, setError] = useState<string>();
  // The device on screen: an answer for another one (a slow or held load, left behind by moving
  // on) is dropped, so the actions below never target a device the page no longer shows.
  const showing = useRef(deviceId);
  showing.current = deviceId;
  const load = (background = false) =>
    api<DeviceDetail & DeviceControls>(`/api/devices/${encodeURIComponent(deviceId)}`, { background })
      .then((loaded) => {
        if (showing.current !== deviceId) return;
        setDevice(loaded);
        setError(undefined);
      })
      .catch((failure: Error) => {
        if (showing.current === deviceId) setError(failure.message);
      });
  useEffect(() => {
    setDevice(undefined);
    setError(undefined);
  }, [deviceId]);
  useEffect(() => {
    load();
  }, [deviceId]);
  // While an action is on its way to Google, follow it.
  const open = device?.actions.some((a) => a.state === "requested" || a.state === "sent");
  useEffect(() => {
    if (!open) return;
    const timer = setInterval(() => load(true), 1500);
    return () => clearInterval(timer);
  }, [open, deviceId]);
  // Without the device, the error is the page; with it (a poll failed), the error shows above it.
  if (!device)
    return error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : (
      <p class="loading">Loading…</p>
    );
  return (
    <article aria-labelledby="device-heading">
      {error && (
        <p class="error" role="alert">
          Could not refresh this device: {error}
        </p>
      )}
      <p>{ticket ? <a href={`#/tickets/${ticket}`}>← Ticket #{ticket}</a> : <a href="#/devices">← All devices</a>}</p>
      <h1 id="device-heading">
        {device.serialNumber ?? device.deviceId}
        {device.annotatedAssetId ? ` · ${device.annotatedAssetId}` : ""}
      </h1>
      {device.removedAt && <p class="notice">Google no longer lists this device (since {when(device.removedAt)}).</p>}
      <div class="columns">
        <div>
          <DeviceActions device={device} ticket={ticket} onChanged={() => load()} />
          <DeviceFacts device={{ ...device, removedAt: undefined }} />
          <h2>Assignment history</h2>
          <ol class="timeline">
            {device.assignments.map((a) => (
              <li key={`${a.userEmail}-${a.startedAt}`}>
                <strong>{a.userEmail}</strong> · from {when(a.startedAt)}
                {a.endedAt ? ` to ${when(a.endedAt)}` : " (now)"}
              </li>
            ))}
          </ol>
          {device.assignments.length === 0 && <p class="muted">Never assigned to a student.</p>}
        </div>
        <div>
          <h2>Tickets</h2>
          <ul class="timeline">
            {device.tickets.map((t) => (
              <li key={t.number}>
                <a href={`#/tickets/${t.number}`}>#{t.number}</a> · {problemCategoryLabels[t.category]} ·{" "}
                {statusLabels[t.status]} · {when(t.createdAt)}
              </li>
            ))}
          </ul>
          {device.tickets.length === 0 && <p class="muted">No tickets for this device.</p>}
          {device.olderTickets && (
            <p class="muted">
              These are its latest {device.tickets.length} tickets; find older ones on{" "}
              <a href={`#/tickets?q=${encodeURIComponent(device.serialNumber ?? "")}`}>Tickets</a> by its serial.
            </p>
          )}
        </div>
      </div>
    </article>
  );
}
