/**
 * Natural, case-insensitive ordering of names as people read them: `vm-2` before `vm-10`. Pure.
 *
 * A name is cut into runs of ASCII digits and runs of everything else. Digit runs compare by
 * value (any length: no float rounding), other runs by a root-locale collator that ignores case
 * but not accents, digits before other text. Names still equal after that (`vm-2`/`vm-02`,
 * `VM`/`vm`) are ordered by fewer leading zeros, then by code units, so the order is total and
 * the same on every run; only identical strings compare equal, and {@link naturalSort} keeps
 * their input order.
 *
 * @module
 */

const RUNS = /\d+|\D+/g;
const collator = new Intl.Collator("und", { sensitivity: "accent" });

function runsOf(name: string): string[] {
  return name.match(RUNS) ?? [];
}

const isDigits = (run: string) => run.charCodeAt(0) >= 48 && run.charCodeAt(0) <= 57;

/** Compares two digit runs by value: strip leading zeros, then length, then digits. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, "");
  const y = b.replace(/^0+/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Negative when `a` sorts before `b`, positive after, 0 only for identical strings. */
export function naturalCompare(a: string, b: string): number {
  if (a === b) return 0;
  const ra = runsOf(a);
  const rb = runsOf(b);
  let zeros = 0;
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i];
    const y = rb[i];
    const dx = isDigits(x);
    const dy = isDigits(y);
    if (dx !== dy) return dx ? -1 : 1;
    const c = dx ? compareDigits(x, y) : collator.compare(x, y);
    if (c !== 0) return c;
    // Same value, different spelling: the first such run decides ties (fewer zeros first).
    if (dx && zeros === 0) zeros = x.length - y.length;
  }
  if (ra.length !== rb.length) return ra.length - rb.length;
  if (zeros !== 0) return zeros;
  return a < b ? -1 : 1;
}

/** A new array of `items` in natural order of `key(item)`; equal keys keep their order. */
export function naturalSort<T>(items: readonly T[], key: (item: T) => string): T[] {
  return items
    .map((item, i) => ({ item, i, k: key(item) }))
    .sort((x, y) => naturalCompare(x.k, y.k) || x.i - y.i)
    .map((e) => e.item);
}
