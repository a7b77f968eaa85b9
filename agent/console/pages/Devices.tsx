/** Devices: find a Chromebook by serial, asset tag, student or OU, within the person's schools. */
import { useEffect, useState } from "preact/hooks";
import type { DevicePage as Page } from "../../../shared";
import { api } from "../api";
import { FilterSelect } from "../components/FilterSelect";
import { Pager, useCursorPaging } from "../components/Pager";
import { age, schoolName } from "../format";
import { go } from "../router";

export function Devices({ query }: { query: string }) {
  const params = new URLSearchParams(query);
  const [page, setPage] = useState<Page>();
  const [error, setError] = useState<string>();
  const paging = useCursorPaging(query);
  const cursor = paging.cursor;
  useEffect(() => {
    const request = new URLSearchParams(query);
    if (cursor) request.set("cursor", cursor);
    // Only the latest request's answer counts: an earlier one arriving late is dropped.
    let current = true;
    api<Page>(`/api/devices?${request}`)
      .then((loaded) => {
        if (!current) return;
        setPage(loaded);
        setError(undefined);
      })
      .catch((failure: Error) => current && setError(failure.message));
    return () => {
      current = false;
    };
  }, [query, cursor]);

  return (
    <section aria-labelledby="devices-heading">
      <h1 id="devices-heading">Devices</h1>
      <form
        class="filters"
        key={query}
        aria-label="Find devices"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          const next = new URLSearchParams();
          for (const name of ["q", "ou", "status"]) {
            const value = String(form.get(name) ?? "").trim();
            if (value) next.set(name, value);
          }
          go(`#/devices?${next}`);
        }}
      >
        <div class="search">
          <label for="device-q">Search</label>
          <input
            id="device-q"
            name="q"
            type="search"
            placeholder="Serial, asset tag or student"
            defaultValue={params.get("q") ?? ""}
          />
        </div>
        <div>
          <label for="device-ou">OU</label>
          <input id="device-ou" name="ou" placeholder="/Schools/Lincoln High" defaultValue={params.get("ou") ?? ""} />
        </div>
        <FilterSelect
          name="status"
          label="Status"
          value={params.get("status") ?? ""}
          options={["ACTIVE", "DISABLED", "DEPROVISIONED"].map((s) => [s, `${s[0]}${s.slice(1).toLowerCase()}`])}
        />
        <div class="filter-actions">
          <button type="submit" class="primary">
            Find
          </button>
        </div>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {page && (
        <>
          <table class="devices">
            <thead>
              <tr>
                <th scope="col">Serial</th>
                <th scope="col">Asset tag</th>
                <th scope="col">Student</th>
                <th scope="col">OU</th>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col">Last sync</th>
              </tr>
            </thead>
            <tbody>
              {page.devices.map((d) => (
                <tr key={d.deviceId}>
                  <td data-label="Serial">
                    <a href={`#/devices/${encodeURIComponent(d.deviceId)}`}>{d.serialNumber ?? d.deviceId}</a>
                  </td>
                  <td data-label="Asset tag">{d.annotatedAssetId ?? "—"}</td>
                  <td data-label="Student">{d.annotatedUser ?? "—"}</td>
                  <td data-label="OU">
                    {d.orgUnitPath
                      ? `${schoolName(d.orgUnitPath.split("/").slice(0, -1).join("/"))} · ${schoolName(d.orgUnitPath)}`
                      : "—"}
                  </td>
                  <td data-label="Model">{d.model ?? "—"}</td>
                  <td data-label="Status">{d.removedAt ? "Removed from Google" : (d.status ?? "—")}</td>
                  <td data-label="Last sync">{d.lastSync ? age(d.lastSync) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.devices.length === 0 && <p>No devices match.</p>}
          <Pager paging={paging} nextCursor={page.nextCursor} />
        </>
      )}
    </section>
  );
}
