/**
 * Paging for the Chrome APIs: `pageSize` (default 100, a maximum per method) and opaque page tokens
 * that only continue the listing they came from.
 */

/** The page size asked for, or undefined when it is out of range (0 or absent means the default). */
export function pageSizeOf(raw: unknown, max: number, fallback = 100): number | undefined {
  if (raw === undefined || raw === null || raw === "") return fallback;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 0 || size > max) return undefined;
  return size === 0 ? fallback : size;
}

export function pageToken(offset: number, listing: string): string {
  return Buffer.from(JSON.stringify({ offset, listing })).toString("base64url");
}

/** Where a page token continues (0 without one), or undefined when it belongs to another listing. */
export function pageOffset(token: unknown, listing: string): number | undefined {
  if (token === undefined || token === null || token === "") return 0;
  try {
    const parsed = JSON.parse(Buffer.from(String(token), "base64url").toString()) as {
      offset?: unknown;
      listing?: unknown;
    };
    return parsed.listing === listing && Number.isInteger(parsed.offset) ? (parsed.offset as number) : undefined;
  } catch {
    return undefined;
  }
}

/** One page of `items` and the token for the next, if any. */
export function page<T>(items: T[], offset: number, size: number, listing: string) {
  const next = offset + size < items.length ? pageToken(offset + size, listing) : undefined;
  return { items: items.slice(offset, offset + size), nextPageToken: next };
}
