import type { FacetRequest } from '../../query/types.js';
import type { CellValue, FacetColumn } from './facet-columns.js';

/**
 * Facet counts over in-memory columns (facet-columns.ts), as rows of the same shape the counting statement of
 * facets.ts returns, so both are read by one piece of code. Every answer is the one SQL gives: buckets by count,
 * then by value in SQLite's order (numbers, then text by UTF-8 bytes, then blobs); a range counts the values
 * within it; stats are exact integer sums. What SQL would compute differently (a range or stats over a column
 * holding text, a sum of non-integers or beyond 2^53) is reported as not countable here.
 */

export const TERMS = 0;
export const RANGE = 1;
export const STATS = 2;

/** A bucket (`v`, `n`), a range (`v` its index, `n`) or the stats; `k` is the facet's position * 3 + the kind. */
export interface CountRow {
  k: number;
  v: CellValue;
  n: number;
  a: number | null;
  b: number | null;
  c: number | null;
}

/** How many of `rowids` hold each value of `column` (indexed as its dictionary). */
export function tallies(column: FacetColumn, rowids: Float64Array): Int32Array {
  const counts = new Int32Array(column.values.length);
  const ids = column.ids;
  const len = ids.length;
  for (let i = 0; i < rowids.length; i++) {
    const rid = rowids[i]!;
    if (rid < len) counts[ids[rid]!]!++;
  }
  return counts;
}

/** SQLite's storage-class rank in ORDER BY: numbers, text, blobs (NULL never reaches a bucket). */
const classOf = (v: CellValue): number =>
  typeof v === 'number' || typeof v === 'bigint' ? 1 : typeof v === 'string' ? 2 : 3;

/** Strings in UTF-8 byte order (code point order): UTF-16 units differ only for surrogates against U+E000+. */
function utf8Order(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && x <= 0xdfff) x += 0x10000;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x10000;
    return x - y;
  }
  return a.length - b.length;
}

/** SQLite's ascending order of two non-null values (BINARY collation for text). */
export function valueOrder(a: CellValue, b: CellValue): number {
  const ca = classOf(a);
  const cb = classOf(b);
  if (ca !== cb) return ca - cb;
  if (ca === 1) return Number(a) - Number(b) || (a! < b! ? -1 : a! > b! ? 1 : 0);
  if (ca === 2) return utf8Order(a as string, b as string);
  return Buffer.compare(a as Buffer, b as Buffer);
}

/** The `size` values counted most, by count then value (ORDER BY n DESC, v ASC LIMIT size). */
export function topBuckets(
  column: FacetColumn,
  counts: Int32Array,
  size: number,
): { v: CellValue; n: number }[] {
  const best: { v: CellValue; n: number }[] = [];
  if (size <= 0) return best;
  const before = (n: number, v: CellValue, o: { v: CellValue; n: number }) =>
    n > o.n || (n === o.n && valueOrder(v, o.v) < 0);
  for (let id = 1; id < counts.length; id++) {
    const n = counts[id]!;
    if (n === 0) continue;
    if (best.length === size) {
      const last = best[size - 1]!;
      if (n < last.n) continue;
      if (!before(n, column.values[id]!, last)) continue;
      best.pop();
    }
    const v = column.values[id]!;
    let at = best.length;
    while (at > 0 && before(n, v, best[at - 1]!)) at--;
    best.splice(at, 0, { v, n });
  }
  return best;
}

/** Whether ranges and stats of this column can be counted here as SQL would. */
export function countable(column: FacetColumn, facet: FacetRequest): boolean {
  if ((facet.ranges || facet.stats) && column.nonNumbers > 0) return false;
  if (facet.stats && column.nonIntegers > 0) return false;
  return (facet.ranges ?? []).every(
    (r) =>
      (r.from === undefined || typeof r.from === 'number') &&
      (r.to === undefined || typeof r.to === 'number'),
  );
}

/** Per range, the matches whose value is within it (from inclusive, to exclusive). */
export function rangeCounts(column: FacetColumn, counts: Int32Array, facet: FacetRequest): number[] {
  const ranges = facet.ranges ?? [];
  const out = ranges.map(() => 0);
  for (let id = 1; id < counts.length; id++) {
    const n = counts[id]!;
    if (n === 0) continue;
    const v = column.values[id] as number;
    ranges.forEach((r, i) => {
      if ((r.from === undefined || v >= r.from) && (r.to === undefined || v < r.to)) out[i]! += n;
    });
  }
  return out;
}

/**
 * min, count, max, avg and sum of the matches' values, as SQLite's aggregates give them over integers (an exact
 * sum, the average as that sum divided by the count); null when the sum leaves the doubles' exact integers.
 */
export function integerStats(
  column: FacetColumn,
  counts: Int32Array,
): { min: number | null; count: number; max: number | null; avg: number | null; sum: number | null } | null {
  let min: number | null = null;
  let max: number | null = null;
  let count = 0;
  let sum = 0;
  for (let id = 1; id < counts.length; id++) {
    const n = counts[id]!;
    if (n === 0) continue;
    const v = column.values[id] as number;
    if (min === null || v < min) min = v;
    if (max === null || v > max) max = v;
    count += n;
    const part = v * n;
    if (!Number.isSafeInteger(part)) return null;
    sum += part;
    if (!Number.isSafeInteger(sum)) return null;
  }
  if (count === 0) return { min: null, count: 0, max: null, avg: null, sum: null };
  return { min, count, max, avg: sum / count, sum };
}
