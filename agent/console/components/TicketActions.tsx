/** Comment, assign, move (queue and tier, with a reason), resolve and reopen: only what this person may do. */
import { useEffect, useState } from "preact/hooks";
import { type ConsoleTicketDetail, type TicketQueue, ticketQueues } from "../../../shared";
import { api } from "../api";
import { queueLabels } from "../format";

const external: TicketQueue[] = ["district_repair", "vendor"];

/** A form's submit handler that stays on the page and runs `action`. */
const submitted = (action: () => void) => (event: Event) => {
  event.preventDefault();
  action();
};

function useAction(onChanged: () => void) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function run(path: string, body: unknown, reset: () => void) {
    setBusy(true);
    setError(undefined);
    try {
      await api(path, { method: "POST", body });
      reset();
      onChanged();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return { error, busy, run };
}

export function TicketActions({ ticket, onChanged }: { ticket: ConsoleTicketDetail; onChanged: () => void }) {
  const base = `/api/tickets/${ticket.number}`;
  const { error, busy, run } = useAction(onChanged);
  const [comment, setComment] = useState("");
  const [queue, setQueue] = useState<TicketQueue>(ticket.queue);
  const [tier, setTier] = useState(ticket.tier);
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

  const queues = ticketQueues.filter((q) => ticket.can.routeExternal || !external.includes(q));
  const tiers = [1, 2, 3, 4].filter((t) => ticket.can.routeExternal || t < 3);

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
        <div class="row">
          <label for="assignee">Assigned to</label>
          <select
            id="assignee"
            value={ticket.assignee?.id ?? ""}
            disabled={busy}
            onChange={(e) => run(`${base}/assign`, { assigneeId: e.currentTarget.value || null }, () => {})}
          >
            <option value="">Nobody</option>
            {assignees.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
      )}
      {ticket.can.escalate && !resolved && (
        <form onSubmit={submitted(() => run(`${base}/escalate`, { queue, tier, reason }, () => setReason("")))}>
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
            <select id="move-tier" value={tier} onChange={(e) => setTier(Number(e.currentTarget.value))}>
              {tiers.map((t) => (
                <option key={t} value={t}>
                  Tier {t}
                </option>
              ))}
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
        <form onSubmit={submitted(() => run(`${base}/resolve`, { resolution }, () => setResolution("")))}>
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
        <form onSubmit={submitted(() => run(`${base}/reopen`, { reason }, () => setReason("")))}>
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
