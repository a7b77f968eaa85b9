/** Comment, assign, move (queue and tier, with a reason), resolve and reopen: only what this person may do. */
import { useEffect, useState } from "preact/hooks";
import { type ConsoleTicketDetail, queueTier, routedOutside, type TicketQueue, ticketQueues } from "../../../shared";
import { api } from "../api";
import { queueLabels } from "../format";

/** A form's submit handler that stays on the page and runs `action`. */
const submitted = (action: () => void) => (event: Event) => {
  event.preventDefault();
  action();
};

function useAction(onChanged: () => Promise<unknown>) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function run(path: string, body: unknown, reset: () => void) {
    setBusy(true);
    setError(undefined);
    try {
      await api(path, { method: "POST", body });
      reset();
    } catch (failure) {
      // Refused most often because someone else changed the ticket since it was loaded (409): it is
      // shown as it is now, keeping what this person typed and the reason it was refused.
      setError((failure as Error).message);
    }
    try {
      // The buttons wait for the ticket as it is now: the next action rests on what is on screen,
      // so it is not refused for a change this person has just made themselves.
      await onChanged();
    } finally {
      setBusy(false);
    }
  }
  return { error, busy, run };
}

export function TicketActions({
  ticket,
  onChanged,
}: {
  ticket: ConsoleTicketDetail;
  onChanged: () => Promise<unknown>;
}) {
  const base = `/api/tickets/${ticket.number}`;
  // The version on screen goes with every action that could undo someone's work (not comments): the
  // agent refuses it if a colleague has changed the ticket since.
  const expectedUpdatedAt = ticket.updatedAt;
  const { error, busy, run } = useAction(onChanged);
  const [comment, setComment] = useState("");
  // Only the queues this person may move a ticket to; each queue has one tier (the agent refuses a mismatch).
  const queues = ticketQueues.filter((q) => ticket.can.routeExternal || !routedOutside(q, queueTier[q]));
  const startQueue = queues.includes(ticket.queue) ? ticket.queue : (queues[0] ?? ticket.queue);
  const [queue, setQueue] = useState<TicketQueue>(startQueue);
  const tier = queueTier[queue];
  // A ticket with district repair or a vendor comes back only through someone who may route it there.
  const movable = ticket.can.routeExternal || !routedOutside(ticket.queue, ticket.tier);
  const [reason, setReason] = useState("");
  const [resolution, setResolution] = useState("");
  const [assignees, setAssignees] = useState<{ id: string; name: string }[]>([]);
  const resolved = ticket.status === "resolved" || ticket.status === "closed";

  useEffect(() => {
    if (!ticket.can.assign) return;
    const school = ticket.school ? `?school=${encodeURIComponent(ticket.school)}` : "";
    api<{ assignees: { id: string; name: string }[] }>(`/api/assignees${school}`).then(
      (a) => setAssignees(a.assignees),
      () => {},
    );
  }, [ticket.number, ticket.can.assign]);
  // After a move (or on another ticket) the form starts again from where the ticket now is.
  useEffect(() => setQueue(startQueue), [ticket.number, startQueue]);
  // Someone no longer on the list (their role changed) is still who the ticket is with: show them, not "Nobody".
  const assigneeMissing = ticket.assignee && !assignees.some((a) => a.id === ticket.assignee?.id);

  return (
    <section class="actions-panel" aria-label="Work this ticket">
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {ticket.can.comment && (
        <form onSubmit={submitted(() => run(`${base}/comments`, { body: comment }, () => setComment("")))}>
          <label for="comment">Comment</label>
          <textarea
            id="comment"
            value={comment}
            onInput={(e) => setComment(e.currentTarget.value)}
            required
            maxLength={5000}
          />
          <button type="submit" class="secondary" disabled={busy}>
            Add comment
          </button>
        </form>
      )}
      {ticket.can.assign && (
        // Chosen, then assigned with the button: a closed select changes on an arrow key, so
        // assigning on change would assign whoever a keyboard user passed on the way.
        <form
          class="row"
          aria-label="Assign"
          key={ticket.assignee?.id ?? ""}
          onSubmit={(event) => {
            event.preventDefault();
            const chosen = String(new FormData(event.currentTarget).get("assignee") ?? "");
            run(`${base}/assign`, { assigneeId: chosen || null, expectedUpdatedAt }, () => {});
          }}
        >
          <label for="assignee">Assigned to</label>
          <select id="assignee" name="assignee">
            <option value="" selected={!ticket.assignee}>
              Nobody
            </option>
            {assigneeMissing && ticket.assignee && (
              <option value={ticket.assignee.id} selected>
                {ticket.assignee.name}
              </option>
            )}
            {assignees.map((a) => (
              <option key={a.id} value={a.id} selected={a.id === ticket.assignee?.id}>
                {a.name}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary" disabled={busy}>
            Assign
          </button>
        </form>
      )}
      {ticket.can.escalate && !resolved && !movable && (
        <p class="muted">
          This ticket is with district repair or a vendor. Only someone who may send tickets there, such as your school
          IT lead, can move it.
        </p>
      )}
      {ticket.can.escalate && !resolved && movable && (
        <form
          onSubmit={submitted(() =>
            run(`${base}/escalate`, { queue, tier, reason, expectedUpdatedAt }, () => setReason("")),
          )}
        >
          <fieldset>
            <legend>Move to another queue or tier</legend>
            <label for="move-queue">Queue</label>
            <select id="move-queue" value={queue} onChange={(e) => setQueue(e.currentTarget.value as TicketQueue)}>
              {queues.map((q) => (
                <option key={q} value={q}>
                  {queueLabels[q]}
                </option>
              ))}
            </select>
            <label for="move-tier">Tier</label>
            <select id="move-tier" value={tier}>
              <option value={tier}>Tier {tier}</option>
            </select>
            <label for="move-reason">Reason</label>
            <input
              id="move-reason"
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
              required
              minLength={3}
            />
            <button type="submit" class="secondary" disabled={busy}>
              Move ticket
            </button>
          </fieldset>
        </form>
      )}
      {ticket.can.resolve && !resolved && (
        <form
          onSubmit={submitted(() => run(`${base}/resolve`, { resolution, expectedUpdatedAt }, () => setResolution("")))}
        >
          <label for="resolution">How was it fixed?</label>
          <input
            id="resolution"
            value={resolution}
            onInput={(e) => setResolution(e.currentTarget.value)}
            required
            minLength={3}
          />
          <button type="submit" class="primary" disabled={busy}>
            Resolve
          </button>
        </form>
      )}
      {ticket.can.resolve && resolved && (
        <form onSubmit={submitted(() => run(`${base}/reopen`, { reason, expectedUpdatedAt }, () => setReason("")))}>
          <label for="reopen-reason">Why reopen?</label>
          <input
            id="reopen-reason"
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
            required
            minLength={3}
          />
          <button type="submit" class="secondary" disabled={busy}>
            Reopen
          </button>
        </form>
      )}
    </section>
  );
}
