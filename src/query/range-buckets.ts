import type { RangeBucket, RangeBucketRequest } from './types.js';

/** A range facet's answer: each asked range (its key, or `from-to` with `*` for an open end) with its count. */
export function rangeBuckets(ranges: RangeBucketRequest[], count: (i: number) => number): RangeBucket[] {
  return ranges.map((r, i) => ({
    key: r.key ?? `${r.from ?? '*'}-${r.to ?? '*'}`,
    ...(r.from !== undefined ? { from: r.from } : {}),
    ...(r.to !== undefined ? { to: r.to } : {}),
    count: count(i),
  }));
}
