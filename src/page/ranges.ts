import type { RangeBounds } from './state.js';

/** At most this many range buckets per numeric facet: more do not fit a facet list on a phone. */
const MAX_BUCKETS = 6;

/** 1, 2 or 5 times a power of ten, at least `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 5, 10]) if (m * power >= rough) return m * power;
  return 10 * power;
}

/** Removes the binary noise of adding decimal steps (0.30000000000000004). */
const tidy = (n: number): number => Number(n.toPrecision(12));

/**
 * Range buckets for a numeric field whose values span [min, max] (its stats over the index): by decades when the
 * values are non-negative and span three or more of them (downloads, sizes), else in equal "nice" steps. The first
 * bucket is open below and the last open above, so every value falls in exactly one.
 */
export function niceRanges(min: number, max: number, integer: boolean): RangeBounds[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return [];
  let bounds: number[];
  if (min >= 0 && max / Math.max(min, 1) >= 1000) {
    const low = Math.max(1, Math.ceil(Math.log10(Math.max(min, 1) + 1)));
    const high = Math.ceil(Math.log10(max));
    const per = Math.max(1, Math.ceil((high - low) / (MAX_BUCKETS - 1)));
    bounds = [];
    for (let d = low; d < high; d += per) bounds.push(10 ** d);
  } else {
    let step = niceStep((max - min) / (MAX_BUCKETS - 1));
    if (integer) step = Math.max(1, Math.round(step));
    bounds = [];
    for (let b = tidy(Math.floor(min / step) * step + step); b <= max; b = tidy(b + step)) bounds.push(b);
  }
  if (bounds.length === 0) return [];
  const ranges: RangeBounds[] = [{ to: bounds[0]! }];
  for (let i = 1; i < bounds.length; i++) ranges.push({ from: bounds[i - 1]!, to: bounds[i]! });
  ranges.push({ from: bounds.at(-1)! });
  return ranges;
}

/** A short number for a label: 1200 -> 1.2k, 3000000 -> 3M. */
export function shortNumber(n: number): string {
  const abs = Math.abs(n);
  for (const [unit, size] of [
    ['B', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (abs >= size) return `${tidy(n / size)}${unit}`;
  }
  return String(tidy(n));
}

/** How a range is shown: `< 100`, `100 – 1k`, `≥ 1k`. */
export function rangeLabel(r: RangeBounds): string {
  if (r.from === undefined) return `< ${shortNumber(r.to!)}`;
  if (r.to === undefined) return `≥ ${shortNumber(r.from)}`;
  return `${shortNumber(r.from)} – ${shortNumber(r.to)}`;
}
