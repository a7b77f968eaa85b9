/** The header's bell: what needs this person's attention (lockdown results, filter drift), unread first. */
import { useEffect, useState } from "preact/hooks";
import type { Notification } from "../../../shared";
import { api } from "../api";
import { age } from "../format";

export function Notifications() {
  const [data, setData] = useState<{ unread: number; notifications: Notification[] }>();
  const [open, setOpen] = useState(false);
  /** Why marking read was refused; apart from `loadError`, which the next load that works clears. */
  const [error, setError] = useState<string>();
  const [loadError, setLoadError] = useState<string>();
  const load = (background = false) =>
    api<{ unread: number; notifications: Notification[] }>("/api/notifications", { background })
      .then((loaded) => {
        setData(loaded);
        setLoadError(undefined);
      })
      .catch((failure: Error) => setLoadError(failure.message));
  useEffect(() => {
    load();
    const timer = setInterval(() => load(true), 30_000);
    return () => clearInterval(timer);
  }, []);
  async function markRead(id: number | "all") {
    setError(undefined);
    try {
      await api(`/api/notifications/${id}/read`, { method: "POST", body: {} });
      await load();
    } catch (failure) {
      setError((failure as Error).message);
    }
  }
  const unread = data?.unread ?? 0;
  return (
    <div class="notifications">
      <button
        type="button"
        class="link"
        aria-expanded={open}
        aria-label={`Notifications, ${unread} unread`}
        onClick={() => {
          setOpen(!open);
          if (!open) load();
        }}
      >
        🔔{unread > 0 && <span class="badge">{unread}</span>}
      </button>
      {open && (
        <section class="dropdown" aria-label="Notifications">
          {[loadError, error].filter(Boolean).map((message) => (
            <p key={message} class="error" role="alert">
              {message}
            </p>
          ))}
          {!data?.notifications.length && <p class="muted">Nothing needs your attention.</p>}
          <ul>
            {data?.notifications.map((n) => (
              <li key={n.id} class={n.read ? "read" : "unread"}>
                <strong>{n.link ? <a href={n.link}>{n.title}</a> : n.title}</strong>
                <p>{n.body}</p>
                <span class="muted">{age(n.createdAt)}</span>
                {!n.read && (
                  <button type="button" class="link" onClick={() => markRead(n.id)}>
                    Mark read
                  </button>
                )}
              </li>
            ))}
          </ul>
          {unread > 0 && (
            <button type="button" class="secondary" onClick={() => markRead("all")}>
              Mark all read
            </button>
          )}
        </section>
      )}
    </div>
  );
}
