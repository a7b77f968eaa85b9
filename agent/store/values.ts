/** Small conversions between SQL rows and the wire contract, shared by every query module. */

/** SQL NULL becomes an absent field on the wire (zod's `.optional()`). */
export function orUndefined<T>(value: T | null): T | undefined {
  return value ?? undefined;
}

/** A LIKE pattern matching `text` anywhere, with `%`, `_` and `\` taken literally (`escape '\'`). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}
