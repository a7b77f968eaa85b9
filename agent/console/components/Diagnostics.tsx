/** The device's diagnostics as a person reads them: labelled facts in sections, and what could not be read. */
import type { ComponentChildren } from "preact";
import type { DiagnosticsSnapshot } from "../../../shared";
import { bytes, percent, when } from "../format";

type Fact = [string, ComponentChildren | undefined];

function Facts({ title, facts }: { title: string; facts: Fact[] }) {
  const shown = facts.filter(([, value]) => value !== undefined && value !== "");
  if (!shown.length) return null;
  return (
    <section class="facts" aria-label={title}>
      <h3>{title}</h3>
      <dl>
        {shown.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

const yesNo = (value: boolean | undefined) => (value === undefined ? undefined : value ? "Yes" : "No");

export function Diagnostics({ snapshot }: { snapshot: DiagnosticsSnapshot }) {
  const { platform, cpu, memory, battery, network, deviceAttributes: device, user, extension, locale } = snapshot;
  const memoryUsed =
    memory?.capacityBytes && memory.availableBytes !== undefined
      ? 1 - memory.availableBytes / memory.capacityBytes
      : undefined;
  return (
    <div class="diagnostics">
      <Facts
        title="Device"
        facts={[
          ["Serial number", device?.serialNumber],
          ["Asset tag", device?.assetId],
          ["Location", device?.annotatedLocation],
          ["Hostname", device?.hostname],
          ["Directory device id", device?.directoryDeviceId],
          ["Model", platform?.model],
        ]}
      />
      <Facts
        title="System"
        facts={[
          ["Operating system", platform?.os === "cros" ? "ChromeOS" : platform?.os],
          ["ChromeOS version", platform?.platformVersion],
          ["Chrome version", platform?.browserVersion],
          ["Processor", cpu?.modelName],
          ["Cores", cpu?.cores],
          ["CPU load", percent(cpu?.load)],
          ["Memory", bytes(memory?.capacityBytes)],
          ["Memory in use", percent(memoryUsed)],
        ]}
      />
      <Facts
        title="Battery"
        facts={[
          ["Charge", percent(battery?.level)],
          ["Charging", yesNo(battery?.charging)],
          ["Time to empty", battery?.dischargingTimeS ? `${Math.round(battery.dischargingTimeS / 60)} min` : undefined],
        ]}
      />
      <Facts
        title="Network"
        facts={[
          ["Online", yesNo(network?.online)],
          ["Connection", network?.connectionType],
          ["Speed class", network?.effectiveType],
          ["Downlink", network?.downlinkMbps === undefined ? undefined : `${network.downlinkMbps} Mbit/s`],
          ["MAC address", network?.macAddress],
          ["IPv4", network?.ipv4],
          ["IPv6", network?.ipv6],
        ]}
      />
      <Facts
        title="Displays"
        facts={(snapshot.displays ?? []).map(
          (d, i): Fact => [
            d.name || `Display ${i + 1}`,
            `${d.widthPx ?? "?"}×${d.heightPx ?? "?"}${d.isInternal ? ", built in" : ", external"}${d.isPrimary ? ", primary" : ""}`,
          ],
        )}
      />
      <Facts
        title="Removable storage"
        facts={(snapshot.removableStorage ?? []).map(
          (s, i): Fact => [s.name || `Drive ${i + 1}`, bytes(s.capacityBytes)],
        )}
      />
      <Facts
        title="User and extension"
        facts={[
          ["Signed-in user", user?.email],
          ["TechDesk version", extension?.version],
          ["Installed by", extension?.installType === "admin" ? "Policy" : extension?.installType],
          ["Time zone", locale?.timeZone],
          ["Language", locale?.locale],
          ["Collected", snapshot.collectedAt ? when(snapshot.collectedAt) : undefined],
        ]}
      />
      {snapshot.warnings.length > 0 && (
        <details class="warnings">
          <summary>
            {snapshot.warnings.length === 1 ? "1 thing" : `${snapshot.warnings.length} things`} could not be read
          </summary>
          <ul>
            {snapshot.warnings.map((w, i) => (
              <li key={i}>
                <strong>{w.collector}:</strong> {w.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
