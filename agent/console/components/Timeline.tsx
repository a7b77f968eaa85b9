/** Every change and comment on a ticket, oldest first. */
import { type ProblemCategory, problemCategoryLabels, type TicketEvent, type TicketQueue } from "../../../shared";
import { queueLabels, when } from "../format";

function describe(event: TicketEvent): string {
  const d = event.detail as Record<string, string | number | null | undefined>;
  switch (event.kind) {
    case "created":
      return `reported ${problemCategoryLabels[d.category as ProblemCategory] ?? "a problem"}; placed with ${queueLabels[d.queue as TicketQueue] ?? d.queue}`;
    case "comment":
      // The SLA check's reminder is a note on the timeline, not a person's comment.
      return d.sla ? "noted that no one is working it" : "commented";
    case "assigned":
      return d.to ? `assigned it to ${d.to}` : "unassigned it";
    case "escalated":
      return `moved it from ${queueLabels[d.fromQueue as TicketQueue]} (tier ${d.fromTier}) to ${queueLabels[d.toQueue as TicketQueue]} (tier ${d.toTier})`;
    case "resolved":
      return "resolved it";
    case "reopened":
      return "reopened it";
    case "device":
      return describeDeviceEvent(d);
  }
}

const actionWords: Record<string, string> = {
  "device.disable": "disabling",
  "device.reenable": "re-enabling",
  "device.deprovision": "deprovisioning",
  "device.command.reboot": "a reboot of",
  "device.command.wipe_users": "wiping the users of",
  "device.command.remote_powerwash": "a powerwash of",
  "device.command.fetch_support_packet": "a support packet from",
};

function describeDeviceEvent(d: Record<string, string | number | null | undefined>): string {
  const device = d.serialNumber ? `Chromebook ${d.serialNumber}` : "the Chromebook";
  const action = actionWords[String(d.action)] ?? String(d.action);
  switch (d.event) {
    case "marked_missing":
      return `marked ${device} missing`;
    case "already_missing":
      return `reported it missing again (missing since ${when(String(d.since))})`;
    case "found":
      return `marked ${device} found${d.assignedUser ? ` and gave it back to ${d.assignedUser}` : ""}`;
    case "action_requested":
      return `asked for ${action} ${device}`;
    case "action_confirmed":
      return `— Google confirmed ${action} ${device}`;
    case "action_failed":
      return `— ${action} ${device} failed: ${d.error ?? "Google refused it"}`;
    default:
      return `changed ${device}`;
  }
}

export function Timeline({ events }: { events: TicketEvent[] }) {
  return (
    <ol class="timeline">
      {events.map((event) => {
        const text = (event.detail.body ?? event.detail.reason ?? event.detail.resolution ?? event.detail.note) as
          | string
          | undefined;
        const files = (event.detail.files ?? []) as { name?: string; downloadUrl?: string }[];
        return (
          <li key={event.id}>
            <div>
              <strong>{event.actorName}</strong> {describe(event)}
              <span class="muted"> · {when(event.createdAt)}</span>
            </div>
            {text && <blockquote>{text}</blockquote>}
            {files.length > 0 && (
              <ul class="files">
                {files.map((f) => (
                  <li key={f.downloadUrl ?? f.name}>
                    <a href={f.downloadUrl} rel="noreferrer" target="_blank">
                      {f.name ?? "support packet"}
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ol>
  );
}
