/** Keyset paging for the console's lists: the cursors walked so far, and Previous / Next buttons. */
import { useEffect, useState } from "preact/hooks";

export interface CursorPaging {
  /** The cursor of the page on screen (none for the first page). */
  cursor?: string;
  hasPrevious: boolean;
  previous(): void;
  next(cursor: string): void;
}

/** Starts again from the first page whenever `query` changes. */
export function useCursorPaging(query: string): CursorPaging {
  const [cursors, setCursors] = useState<string[]>([]);
  useEffect(() => setCursors([]), [query]);
  return {
    cursor: cursors.at(-1),
    hasPrevious: cursors.length > 0,
    previous: () => setCursors((all) => all.slice(0, -1)),
    next: (cursor) => setCursors((all) => [...all, cursor]),
  };
}

export function Pager({ paging, nextCursor }: { paging: CursorPaging; nextCursor?: string }) {
  return (
    <div class="pager">
      <button type="button" class="secondary" disabled={!paging.hasPrevious} onClick={paging.previous}>
        Previous page
      </button>
      <button
        type="button"
        class="secondary"
        disabled={!nextCursor}
        onClick={() => nextCursor && paging.next(nextCursor)}
      >
        Next page
      </button>
    </div>
  );
}
