/** What the Filter page's devices report: how many reported, and each one that disagrees with policy. */
import { age } from "../format";
import type { Dashboard } from "./FilterDashboard";

export function DeviceReports({ devices }: { devices: Dashboard["devices"] }) {
  return (
    <section aria-labelledby="devices-heading">
      <h2 id="devices-heading">Devices</h2>
      <p class="muted">
        {devices.reporting} device{devices.reporting === 1 ? "" : "s"} reported what they see;{" "}
        {devices.withoutManagement} could not check their extensions (the district has not granted TechDesk the
        management permission there).
      </p>
      {devices.disagreeing.length ? (
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
            {devices.disagreeing.map((d) => (
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
  );
}
