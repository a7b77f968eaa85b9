/** One ticket: what is wrong, the device's diagnostics, the timeline, and the actions this person may take. */
import { useEffect, useRef, useState } from "preact/hooks";
import { type ConsoleTicketDetail, problemCategoryLabels } from "../../../shared";
import { api } from "../api";
import { DeviceFacts } from "../components/DeviceFacts";
import { Diagnostics } from "../components/Diagnostics";
import { LoadFailed } from "../components/LoadFailed";
import { TicketActions } from "../components/TicketActions";
import { Timeline } from "../components/Timeline";
import { age, queueLabels, schoolName, statusLabels, when } from "../format";
import type { Session } from "../session";

export function TicketPage({ number, onBack }: { number: number; session: Session; onBack: () => void }) {
  const [ticket, setTicket] = useState<ConsoleTicketDetail>();
  /**
   * Why the ticket could not be loaded. Once it has been shown, a reload that fails (after an action,
   * say) keeps it on screen, as last loaded, with this beside it: the person can try again.
   */
  const [error, setError] = useState<string>();
  const heading = useRef<HTMLHeadingElement>(null);
  // The ticket on screen: an answer for another one (a slow load, left behind by moving on) is dropped.
  const showing = useRef(number);
  showing.current = number;
  const load = () =>
    api<ConsoleTicketDetail>(`/api/tickets/${number}`).then(
      (answer) => {
        if (showing.current !== number) return false;
        setTicket(answer);
        setError(undefined);
        return true;
      },
      (failure: Error) => {
        if (showing.current === number) setError(failure.message);
        return false;
      },
    );
  useEffect(() => {
    setTicket(undefined);
    setError(undefined);
    load();
  }, [number]);
  const failed = (message: string) => <LoadFailed message={message} onRetry={load} landing={() => heading.current} />;

  if (!ticket && error)
    return (
      <section>
        {failed(error)}
        <button type="button" class="secondary" onClick={onBack}>
          Back to tickets
        </button>
      </section>
    );
  if (!ticket) return <p class="loading">Loading ticket #{number}…</p>;
  return (
    <article class="ticket" aria-labelledby="ticket-heading">
      <p>
        <a href="#/tickets">← All tickets</a>
      </p>
      <h1 id="ticket-heading" ref={heading} tabIndex={-1}>
        #{ticket.number} · {problemCategoryLabels[ticket.category]}
      </h1>
      {error && failed(`This ticket could not be loaded again, so it shows as it was: ${error}`)}
      <p class="summary" data-testid="ticket-summary">
        <span class={`badge status-${ticket.status}`}>{statusLabels[ticket.status]}</span> {queueLabels[ticket.queue]} ·
        tier {ticket.tier} · {schoolName(ticket.school)} ·{" "}
        {ticket.assignee ? `assigned to ${ticket.assignee.name}` : "unassigned"}
      </p>
      <p class="muted">
        Reported {age(ticket.createdAt)} ({when(ticket.createdAt)}) by {ticket.userEmail ?? "an unknown user"} on{" "}
        {ticket.serialNumber ?? "an unknown device"}
        {ticket.assetId ? ` (asset ${ticket.assetId})` : ""}
      </p>
      {ticket.note && <blockquote class="note">{ticket.note}</blockquote>}
      <div class="columns">
        <div>
          <h2>Timeline</h2>
          <Timeline events={ticket.events} />
          <TicketActions ticket={ticket} onChanged={load} />
        </div>
        <div>
          <h2>Diagnostics</h2>
          {ticket.inventoryMatch && ticket.inventoryMatch !== "known" && (
            <p class="notice">
              The reporting device{" "}
              {ticket.inventoryMatch === "unknown"
                ? "is not in Google's inventory"
                : "does not match Google's record of it"}
              : check it in person.
            </p>
          )}
          {ticket.device && (
            <p>
              <a href={`#/devices/${encodeURIComponent(ticket.device.deviceId)}?ticket=${ticket.number}`}>
                Open the device
              </a>
            </p>
          )}
          {ticket.device && <DeviceFacts device={ticket.device} />}
          <Diagnostics snapshot={ticket.diagnostics} />
        </div>
      </div>
    </article>
  );
}
