/** A small hash router: #/tickets, #/tickets/123, #/users. */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "queue"; query: string }
  | { page: "ticket"; number: number }
  | { page: "users" }
  | { page: "devices"; query: string }
  | { page: "device"; deviceId: string; ticket?: number }
  | { page: "jobs" }
  | { page: "filter" }
  | { page: "lost" }
  | { page: "audit" }
  | { page: "settings" };

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const ticket = path.match(/^\/tickets\/(\d+)$/);
  if (ticket) return { page: "ticket", number: Number(ticket[1]) };
  if (path === "/users") return { page: "users" };
  const device = path.match(/^\/devices\/([^/]+)$/);
  if (device) {
    // Opened from a ticket: actions taken here are recorded on that ticket too.
    const ticketNumber = Number(new URLSearchParams(query).get("ticket"));
    return {
      page: "device",
      deviceId: decodeURIComponent(device[1] as string),
      ...(Number.isInteger(ticketNumber) && ticketNumber > 0 ? { ticket: ticketNumber } : {}),
    };
  }
  if (path === "/devices") return { page: "devices", query };
  if (path === "/jobs") return { page: "jobs" };
  if (path === "/filter") return { page: "filter" };
  if (path === "/lost") return { page: "lost" };
  if (path === "/audit") return { page: "audit" };
  if (path === "/settings") return { page: "settings" };
  return { page: "queue", query };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}

export function go(hash: string) {
  location.hash = hash;
}
