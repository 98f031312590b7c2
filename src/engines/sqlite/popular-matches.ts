import type Database from 'better-sqlite3';
import { ftsTable, rankIndex, rankTable } from './ddl.js';
import { parseRowids } from './rowid-list.js';
import { snapshot } from './snapshot-memo.js';
import { cached } from './statements.js';

/**
 * The matches of a broad query that are popular enough to reach its page, found without looking at every match
 * one by one. FTS5 hands the match's rowids over as one string (about 0.1 µs a row), the popularity index gives
 * the documents above the threshold, and the two meet in memory. Letting FTS5 check each match's popularity
 * instead costs a lookup per match (about 1.5 µs: 66k matches of a common word on 1M documents took ~100 ms,
 * though only a few thousand of them were popular enough to matter).
 */

/** The popularity order is first read this deep, then twice as deep each time a threshold needs more. */
const FIRST_DEPTH = 16_384;

/**
 * The rowids at least `threshold` popular, most popular first, or null when there are more than `cap`. The
 * popularity order is kept per snapshot: each query needs a prefix of it.
 */
export function popularAbove(
  db: Database.Database,
  tid: number,
  threshold: number,
  cap: number,
): Float64Array | null {
  const r = rankTable(tid);
  const index = rankIndex(tid);
  const n = cached(db, `SELECT count(*) FROM (SELECT 1 FROM ${r} INDEXED BY ${index} WHERE b >= ? LIMIT ?)`)
    .pluck()
    .get(threshold, cap + 1) as number;
  if (n > cap) return null;
  const key = `popular-order:${tid}`;
  const memo = snapshot(db);
  let order = memo.get(key) as Float64Array | undefined;
  if (!order || order.length < n) {
    // Every row at least `threshold` popular comes before every other in this order, whatever the order of
    // ties, so its first n rows are exactly the ones counted.
    const depth = Math.max(n, FIRST_DEPTH, 2 * (order?.length ?? 0));
    order = parseRowids(
      cached(
        db,
        `SELECT group_concat(rowid) FROM (SELECT rowid FROM ${r} INDEXED BY ${index} ORDER BY b DESC LIMIT ?)`,
      )
        .pluck()
        .get(depth) as string | null,
    );
    memo.set(key, order);
  }
  return order.subarray(0, n);
}

/**
 * The rowids FTS5 finds for a MATCH expression, in rowid order. The last list is kept for the snapshot (one, as a
 * common word's is megabytes): a search's facets count over the same match its page was just found in.
 */
export function matchRowids(db: Database.Database, tid: number, match: string): Float64Array {
  const key = `match-rowids:${tid}`;
  const memo = snapshot(db);
  const last = memo.get(key) as { match: string; rowids: Float64Array } | undefined;
  if (last?.match === match) return last.rowids;
  const f = ftsTable(tid);
  const rowids = parseRowids(
    cached(db, `SELECT group_concat(rowid) FROM ${f} WHERE ${f} MATCH ?`).pluck().get(match) as string | null,
  );
  memo.set(key, { match, rowids });
  return rowids;
}

/** The rowids found in both lists, in the order of `matches`. */
export function intersectPopular(matches: Float64Array, popular: Float64Array): number[] {
  let top = 0;
  for (const rid of popular) if (rid > top) top = rid;
  const marked = new Uint8Array(top + 1);
  for (const rid of popular) marked[rid] = 1;
  const out: number[] = [];
  for (const rid of matches) if (rid <= top && marked[rid] === 1) out.push(rid);
  return out;
}
