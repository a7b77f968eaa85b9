/**
 * Google's partial-response `fields` parameter: `nextPageToken,chromeosdevices(deviceId,serialNumber)`
 * keeps only the named fields, nested ones in parentheses, `/` for a path.
 */
type Mask = Map<string, Mask | true>;

export function parseFields(spec: string): Mask {
  let i = 0;
  function list(): Mask {
    const mask: Mask = new Map();
    while (i < spec.length && spec[i] !== ")") {
      let name = "";
      while (i < spec.length && !",()".includes(spec[i] as string)) name += spec[i++];
      name = name.trim();
      let sub: Mask | true = true;
      if (spec[i] === "(") {
        i++;
        sub = list();
        i++; // ')'
      }
      if (name) {
        const [head, ...rest] = name.split("/");
        let value: Mask | true = sub;
        for (const part of rest.reverse()) value = new Map([[part, value]]);
        mask.set(head as string, value);
      }
      if (spec[i] === ",") i++;
    }
    return mask;
  }
  return list();
}

export function applyFields(value: unknown, mask: Mask | true): unknown {
  if (mask === true || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => applyFields(v, mask));
  const out: Record<string, unknown> = {};
  for (const [key, sub] of mask) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = applyFields(v, sub);
  }
  return out;
}
