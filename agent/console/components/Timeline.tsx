/** Every change and comment on a ticket, oldest first. */
import { type ProblemCategory, problemCategoryLabels, type TicketEvent, type TicketQueue } from "../../../shared";
import { queueLabels, when } from "../format";

function describe(event: TicketEvent): string {
  const d = event.detail as Record<string, string | number | null | undefined>;
  switch (event.kind) {
    case "created":
      return `reported ${problemCategoryLabels[d.category as ProblemCategory] ?? "a problem"}; placed with ${queueLabels[d.queue as TicketQueue] ?? d.queue}`;
    case "comment":
      return "commented";
    case "assigned":
      return d.to ? `assigned it to ${d.to}` : "unassigned it";
    case "escalated":
      return `moved it from ${queueLabels[d.fromQueue as TicketQueue]} (tier ${d.fromTier}) to ${queueLabels[d.toQueue as TicketQueue]} (tier ${d.toTier})`;
    case "resolved":
      return "resolved it";
    case "reopened":
      return "reopened it";
  }
}

export function Timeline({ events }: { events: TicketEvent[] }) {
  return (
    <ol class="timeline">
      {events.map((event) => {
        const text = (event.detail.body ?? event.detail.reason ?? event.detail.resolution) as string | undefined;
        return (
          <li key={event.id}>
            <div>
              <strong>{event.actorName}</strong> {describe(event)}
              <span class="muted"> · {when(event.createdAt)}</span>
            </div>
            {text && <blockquote>{text}</blockquote>}
          </li>
        );
      })}
    </ol>
  );
}
