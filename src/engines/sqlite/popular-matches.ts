import type Database from 'better-sqlite3';
import { ftsTable, rankIndex, rankTable } from './ddl.js';
import { parseRowids } from './rowid-list.js';
import { snapshot } from './snapshot-memo.js';
import { cached } from './statements.js';

/**
 * The matches of a broad query that can still reach its page, found without looking at every match one by one.
 *
 * What a match's text can add is bounded per match, not once for the query: a phrase adds at most
 * `(k1 + 1) * idf` to the documents that hold it and nothing to the others, and the whole-word tier only to the
 * documents that hold the query as typed. FTS5 hands each phrase's rowids over as one string (about 0.1 µs a
 * row), so each match's bound is the sum over the lists it is in. A match needs at least the page's last score
 * minus its bound in popularity; the popularity index says how many documents are that popular, and a match
 * qualifies when its place in the popularity order (kept per snapshot) comes before that count.
 *
 * One bound for the query (the sum over every phrase, and the tier for everyone) let tens of thousands of matches
 * in for a word widened by its plural: on 1M documents, `"component"* OR "components"` let 21k of its 72k
 * matches in, and FTS5's scan then looked up each match's popularity (about 1.5 µs a row) and scored those.
 */

/** The popularity order is first read this deep, then deeper (at least twice) when a threshold needs more. */
const FIRST_DEPTH = 16_384;

/**
 * The most popular rows in order with their popularity, and each rowid's place in that order (-1: further down,
 * or none). The popularity comes over as text of 15 significant digits (one `group_concat`), so it is compared
 * with a little slack: a count may take in a row a rounding below the threshold, never leave one out.
 */
export interface PopularOrder {
  rowids: Float64Array;
  b: Float64Array;
  place: Int32Array;
  /** The order holds every row. */
  whole: boolean;
  /** Per cap, the highest threshold the index counted more documents than the cap for (so any lower one too). */
  tooMany: Map<number, number>;
}

/** The popularity order at least `depth` rows deep (or whole), kept for the snapshot. */
export function popularOrder(db: Database.Database, tid: number, depth: number): PopularOrder {
  const key = `popular-order:${tid}`;
  const memo = snapshot(db);
  const kept = memo.get(key) as PopularOrder | undefined;
  if (kept && (kept.rowids.length >= depth || kept.whole)) return kept;
  const want = Math.max(depth, FIRST_DEPTH);
  const row = cached(
    db,
    `SELECT group_concat(rowid) AS ids, group_concat(b) AS bs FROM ` +
      `(SELECT rowid, b FROM ${rankTable(tid)} INDEXED BY ${rankIndex(tid)} ORDER BY b DESC LIMIT ?)`,
  ).get(want) as { ids: string | null; bs: string | null };
  const rowids = parseRowids(row.ids);
  const b = Float64Array.from(row.bs ? row.bs.split(',') : [], Number);
  let top = 0;
  for (const rid of rowids) if (rid > top) top = rid;
  const place = new Int32Array(top + 1).fill(-1);
  rowids.forEach((rid, k) => (place[rid] = k));
  const order = {
    rowids,
    b,
    place,
    whole: rowids.length < want,
    tooMany: kept?.tooMany ?? new Map<number, number>(),
  };
  memo.set(key, order);
  return order;
}

/**
 * How many of the most popular documents are at least `threshold` popular (with the slack of PopularOrder), and
 * the order that deep; null when more than `cap`.
 */
export function popularAbove(
  db: Database.Database,
  tid: number,
  threshold: number,
  cap: number,
): { order: PopularOrder; n: number } | null {
  const least = threshold - 1e-12 * Math.max(1, Math.abs(threshold));
  /** The rows of the order at least `least` popular: the order is by popularity, highest first. */
  const within = (order: PopularOrder): number => {
    let lo = 0;
    let hi = order.b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order.b[mid]! >= least) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let order = popularOrder(db, tid, 0);
  let n = within(order);
  if (n < order.b.length || order.whole) return n > cap ? null : { order, n };
  if (n > cap || threshold <= (order.tooMany.get(cap) ?? -Infinity)) return null;
  // The order kept is too short: the popularity index counts (no further than the cap) before it is read deeper,
  // so a threshold that lets too many in costs a bounded count, not a read of the table.
  const counted = cached(
    db,
    `SELECT count(*) FROM (SELECT 1 FROM ${rankTable(tid)} INDEXED BY ${rankIndex(tid)} WHERE b >= ? LIMIT ?)`,
  )
    .pluck()
    .get(threshold, cap + 1) as number;
  if (counted > cap) {
    order.tooMany.set(cap, Math.max(threshold, order.tooMany.get(cap) ?? -Infinity));
    return null;
  }
  // Deeper by at least half again, so a run of slowly falling thresholds reads the order a few times only.
  order = popularOrder(db, tid, Math.min(Math.max(counted + 1, 2 * order.b.length), cap + 1));
  n = within(order);
  return n > cap ? null : { order, n };
}

/** The rowids FTS5 finds for a MATCH expression, in rowid order. */
export function rowidsOf(db: Database.Database, tid: number, match: string): Float64Array {
  const f = ftsTable(tid);
  const rowids = parseRowids(
    cached(db, `SELECT group_concat(rowid) FROM ${f} WHERE ${f} MATCH ?`).pluck().get(match) as string | null,
  );
  // FTS5 hands matches over in rowid order, which the merges here rely on; SQLite does not promise an
  // aggregate's order, so it is checked.
  for (let k = 1; k < rowids.length; k++) if (rowids[k - 1]! > rowids[k]!) return rowids.sort();
  return rowids;
}

/** Keeps `rowids` as the match's list for the snapshot, when found otherwise (a union of its phrases'). */
export function rememberMatch(db: Database.Database, tid: number, match: string, rowids: Float64Array): void {
  snapshot(db).set(`match-rowids:${tid}`, { match, rowids });
}

/** The union of lists in rowid order, in rowid order. */
export function unionOf(lists: Float64Array[]): Float64Array {
  const all = new Float64Array(lists.reduce((n, l) => n + l.length, 0));
  let at = 0;
  for (const l of lists) {
    all.set(l, at);
    at += l.length;
  }
  if (lists.length > 1) all.sort();
  let n = 0;
  for (let k = 0; k < all.length; k++) if (k === 0 || all[k] !== all[k - 1]) all[n++] = all[k]!;
  return all.subarray(0, n);
}

/**
 * `rowidsOf` for a search's whole MATCH. The last list is kept for the snapshot (one, as a common word's is
 * megabytes): a search's facets count over the same match its page was just found in.
 */
export function matchRowids(db: Database.Database, tid: number, match: string): Float64Array {
  const key = `match-rowids:${tid}`;
  const memo = snapshot(db);
  const last = memo.get(key) as { match: string; rowids: Float64Array } | undefined;
  if (last?.match === match) return last.rowids;
  const rowids = rowidsOf(db, tid, match);
  memo.set(key, { match, rowids });
  return rowids;
}

export interface ReachQuery {
  tid: number;
  /** Every match, in rowid order. */
  matches: Float64Array;
  /** What every match can add (the phrases every match holds). */
  base: number;
  /** What a match can add by being in each list (a phrase's documents, the tier's), each list in rowid order. */
  lists: { rowids: Float64Array; bound: number }[];
  /** The score a match must reach: the page's last so far. */
  need: number;
  /** Matches already scored, left out. */
  scored: ReadonlySet<number>;
  /** Documents at least one class's threshold popular, at most, for the popularity order to answer. */
  cap: number;
  /** Matches of a class whose threshold lets more in than `cap`, looked up one by one, at most. */
  lookups: number;
}

/**
 * The matches that can reach the page (in rowid order), or null when one bound is so large that too many
 * documents are popular enough and its matches are too many to look up: the caller then lets FTS5 judge them.
 */
export function reachingMatches(db: Database.Database, q: ReachQuery): number[] | null {
  const { matches, lists } = q;
  // Each match's bound, merging the sorted lists; matches with the same lists share a bound and a threshold.
  const at = lists.map(() => 0);
  const bounds = new Float64Array(matches.length);
  for (let m = 0; m < matches.length; m++) {
    const rid = matches[m]!;
    let bound = q.base;
    for (let l = 0; l < lists.length; l++) {
      const rowids = lists[l]!.rowids;
      let k = at[l]!;
      while (k < rowids.length && rowids[k]! < rid) k++;
      at[l] = k;
      if (k < rowids.length && rowids[k] === rid) bound += lists[l]!.bound;
    }
    bounds[m] = bound;
  }
  // The threshold of each bound (1e-9 of slack for the rounding of the sums), and how many documents clear it.
  const counted = new Map<number, { order: PopularOrder; n: number } | null>();
  for (const bound of new Set(bounds))
    counted.set(bound, popularAbove(db, q.tid, q.need - bound - 1e-9, q.cap));
  const out: number[] = [];
  const lookUp = new Map<number, number[]>();
  for (let m = 0; m < matches.length; m++) {
    const rid = matches[m]!;
    if (q.scored.has(rid)) continue;
    const above = counted.get(bounds[m]!)!;
    if (above === null) {
      let list = lookUp.get(bounds[m]!);
      if (!list) lookUp.set(bounds[m]!, (list = []));
      list.push(rid);
      continue;
    }
    const { order, n } = above;
    const place = rid < order.place.length ? order.place[rid]! : -1;
    if (place >= 0 && place < n) out.push(rid);
  }
  // The classes too popular for the order: each match's popularity looked up.
  let looked = 0;
  for (const list of lookUp.values()) looked += list.length;
  if (looked > q.lookups) return null;
  const r = rankTable(q.tid);
  for (const [bound, list] of lookUp) {
    const popular = cached(
      db,
      `SELECT r.rowid FROM json_each(?) j CROSS JOIN ${r} r ON r.rowid = j.value WHERE r.b >= ?`,
    )
      .pluck()
      .all(JSON.stringify(list), q.need - bound - 1e-9) as number[];
    out.push(...popular);
  }
  return out.sort((a, b) => a - b);
}
