/**
 * The ticket queue: filters, search and server-side paging, fast with tens of thousands of tickets.
 * The filter form is uncontrolled and keyed by the address, so a slow answer never resets a choice.
 */
import { useEffect, useState } from "preact/hooks";
import {
  type ConsoleTicketPage,
  problemCategories,
  problemCategoryLabels,
  ticketQueues,
  ticketStatuses,
} from "../../../shared";
import { api } from "../api";
import { FilterSelect as Select } from "../components/FilterSelect";
import { Pager, useCursorPaging } from "../components/Pager";
import { Status } from "../components/Status";
import { age, queueLabels, schoolName, statusLabels } from "../format";
import { go } from "../router";
import type { Session } from "../session";

const filterNames = ["q", "school", "queue", "tier", "status", "category", "olderThanDays", "sort"] as const;

export function Queue({ query, session }: { query: string; session: Session }) {
  const params = new URLSearchParams(query);
  const [page, setPage] = useState<ConsoleTicketPage>();
  const [error, setError] = useState<string>();
  const [schools, setSchools] = useState<string[]>([]);
  const paging = useCursorPaging(query);
  const cursor = paging.cursor;

  useEffect(() => {
    api<{ schools: string[] }>("/api/schools").then(
      (s) => setSchools(s.schools),
      () => setSchools([]),
    );
  }, []);
  useEffect(() => {
    const request = new URLSearchParams(query);
    if (cursor) request.set("cursor", cursor);
    setError(undefined);
    // An answer for filters or a page already left behind is dropped.
    let current = true;
    api<ConsoleTicketPage>(`/api/tickets?${request}`)
      .then((answer) => current && setPage(answer))
      .catch((failure: Error) => current && setError(failure.message));
    return () => {
      current = false;
    };
  }, [query, cursor]);

  function applyFilters(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const next = new URLSearchParams();
    for (const name of filterNames) {
      const value = String(form.get(name) ?? "").trim();
      if (value) next.set(name, value);
    }
    go(`#/tickets?${next}`);
  }

  const value = (name: string) => params.get(name) ?? "";
  const where = session.grants.every((g) => g.school !== "*") ? " in your schools" : "";
  const countOf = (total: number) => `${total === 1 ? "1 ticket" : `${total.toLocaleString()} tickets`}${where}`;
  return (
    <section aria-labelledby="queue-heading">
      <h1 id="queue-heading">Tickets</h1>
      <form class="filters" key={query} onSubmit={applyFilters} aria-label="Filter tickets">
        <div class="search">
          <label for="q">Search</label>
          <input
            id="q"
            name="q"
            type="search"
            placeholder="Ticket #, serial, asset tag or student"
            defaultValue={value("q")}
          />
        </div>
        <Select name="school" label="School" value={value("school")} options={schools.map((s) => [s, schoolName(s)])} />
        <Select
          name="queue"
          label="Queue"
          value={value("queue")}
          options={ticketQueues.map((q) => [q, queueLabels[q]])}
        />
        <Select
          name="tier"
          label="Tier"
          value={value("tier")}
          options={[1, 2, 3, 4].map((t) => [String(t), `Tier ${t}`])}
        />
        <Select
          name="status"
          label="Status"
          value={value("status")}
          options={ticketStatuses.map((s) => [s, statusLabels[s]])}
        />
        <Select
          name="category"
          label="Problem"
          value={value("category")}
          options={problemCategories.map((c) => [c, problemCategoryLabels[c]])}
        />
        <Select
          name="olderThanDays"
          label="Age"
          value={value("olderThanDays")}
          options={[1, 3, 7, 14, 30].map((d) => [String(d), `Older than ${d} day${d === 1 ? "" : "s"}`])}
          anyLabel="Any age"
        />
        <Select
          name="sort"
          label="Sort"
          value={value("sort")}
          options={[
            ["oldest", "Oldest first"],
            ["updated", "Recently updated"],
          ]}
          anyLabel="Newest first"
        />
        <div class="filter-actions">
          <button type="submit" class="primary">
            Apply
          </button>
          <button type="button" class="secondary" onClick={() => go("#/tickets")}>
            Clear
          </button>
        </div>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Status class="muted">{page && countOf(page.total)}</Status>
      {page && (
        <>
          <table class="tickets">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Problem</th>
                <th scope="col">Status</th>
                <th scope="col">Queue</th>
                <th scope="col">School</th>
                <th scope="col">Device</th>
                <th scope="col">Student</th>
                <th scope="col">Assigned</th>
                <th scope="col">Opened</th>
              </tr>
            </thead>
            <tbody>
              {page.tickets.map((t) => (
                <tr key={t.number}>
                  <td data-label="#">
                    <a href={`#/tickets/${t.number}`}>#{t.number}</a>
                  </td>
                  <td data-label="Problem">{problemCategoryLabels[t.category]}</td>
                  <td data-label="Status">{statusLabels[t.status]}</td>
                  <td data-label="Queue">
                    {queueLabels[t.queue]} · tier {t.tier}
                  </td>
                  <td data-label="School">{schoolName(t.school)}</td>
                  <td data-label="Device">{[t.serialNumber, t.assetId].filter(Boolean).join(" · ") || "—"}</td>
                  <td data-label="Student">{t.userEmail ?? "—"}</td>
                  <td data-label="Assigned">{t.assignee?.name ?? "—"}</td>
                  <td data-label="Opened">{age(t.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.tickets.length === 0 && <p>No tickets match.</p>}
          <Pager paging={paging} nextCursor={page.nextCursor} />
        </>
      )}
    </section>
  );
}
