/** Keyset paging for the console's lists: the cursors walked so far, and Previous / Next buttons. */
import { useState } from "preact/hooks";

export interface CursorPaging {
  /** The cursor of the page on screen (none for the first page). */
  cursor?: string;
  hasPrevious: boolean;
  previous(): void;
  next(cursor: string): void;
}

/**
 * Starts again from the first page whenever `query` changes: the cursors belong to the query they
 * were walked under, so a new query never goes out with an old query's cursor, not even for one render.
 */
export function useCursorPaging(query: string): CursorPaging {
  const [walked, setWalked] = useState<{ query: string; cursors: string[] }>({ query, cursors: [] });
  const cursors = walked.query === query ? walked.cursors : [];
  return {
    cursor: cursors.at(-1),
    hasPrevious: cursors.length > 0,
    previous: () => setWalked({ query, cursors: cursors.slice(0, -1) }),
    next: (cursor) => setWalked({ query, cursors: [...cursors, cursor] }),
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
