/** A small hash router: #/tickets, #/tickets/123, #/users. */
import { useEffect, useState } from "preact/hooks";

export type Route = { page: "queue"; query: string } | { page: "ticket"; number: number } | { page: "users" };

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const ticket = path.match(/^\/tickets\/(\d+)$/);
  if (ticket) return { page: "ticket", number: Number(ticket[1]) };
  if (path === "/users") return { page: "users" };
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
