/** The device's recent tickets and their status, so a student can check on a report. */
import { useEffect, useState } from "preact/hooks";
import { problemCategoryLabels, type Ticket } from "../../shared";
import { worker } from "./worker";

const statusWords: Record<Ticket["status"], string> = {
  open: "Open",
  in_progress: "Being worked on",
  waiting: "Waiting",
  resolved: "Resolved",
  closed: "Closed",
};

export function RecentTickets() {
  const [tickets, setTickets] = useState<Ticket[]>();
  useEffect(() => {
    // Offline or not yet enrolled: there is simply nothing to show.
    worker
      .myTickets()
      .then((list) => setTickets(list.tickets.slice(0, 3)))
      .catch(() => setTickets([]));
  }, []);
  if (!tickets?.length) return null;
  return (
    <section aria-labelledby="recent-heading">
      <p id="recent-heading" class="muted">
        Your recent tickets
      </p>
      <ul class="tickets">
        {tickets.map((t) => (
          <li key={t.number}>
            #{t.number} · {problemCategoryLabels[t.category]} · {statusWords[t.status]}
          </li>
        ))}
      </ul>
    </section>
  );
}
