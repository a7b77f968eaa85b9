/**
 * Whose a missing setting is. Google resolves a value from the nearest OU above that sets it, so a
 * setting missing at an OU is missing at every OU above it the same rule covers too: setting it at
 * the highest of them fixes them all. Like inherited drift (set at `sourceKey`), it is one problem
 * there, not one per OU (a rule unset at the root of 200 OUs is one ticket, not 200). Pure: no I/O.
 */

/** The OU above `ouPath`, or undefined for the root. */
export function parentOf(ouPath: string): string | undefined {
  if (ouPath === "/") return undefined;
  const cut = ouPath.lastIndexOf("/");
  return cut <= 0 ? "/" : ouPath.slice(0, cut);
}

/** Every OU above `ouPath`, nearest first. */
export function ancestorsOf(ouPath: string): string[] {
  const above: string[] = [];
  for (let parent = parentOf(ouPath); parent !== undefined; parent = parentOf(parent)) above.push(parent);
  return above;
}

/** `ouPath\nrule` → the expected value (as JSON) of a rule missing there. */
export type MissingAt = ReadonlyMap<string, string | null>;

export const missingKey = (ouPath: string, rule: string) => `${ouPath}\n${rule}`;

/**
 * The highest OU whose missing `rule` the one at `ouPath` belongs to: up through each parent missing
 * the same rule with the same expected value (a school whose own rule expects another value is a
 * fix of its own). A parent that sets the value, or is not in the tree walked, ends the climb.
 */
export function missingOwner(missing: MissingAt, ouPath: string, rule: string): string {
  const expected = missing.get(missingKey(ouPath, rule));
  let owner = ouPath;
  for (const parent of ancestorsOf(ouPath)) {
    const key = missingKey(parent, rule);
    if (!missing.has(key) || missing.get(key) !== expected) break;
    owner = parent;
  }
  return owner;
}
