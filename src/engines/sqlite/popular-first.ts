import type Database from 'better-sqlite3';
import type { TextQuery } from '../../query/types.js';
import { docsTable, ftsTable, rankIndex, rankTable } from './ddl.js';
import { clauseToFts, matchExpression } from './match.js';
import { cached } from './statements.js';

/**
 * Top-k for broad text queries, reading the most popular documents first and stopping as soon as no other
 * document can reach the page. Exact for the ranking formula (see docs/engines.md):
 *
 *   score = text + exact + popularity,  text = FTS5 bm25 = sum over phrases i of idf_i * F*(k1+1) / (F + k1*L)
 *
 * Each phrase's term is below idf_i * (k1 + 1) (F / (F + k1*L) < 1 since L >= 1 - b > 0), so a document outside
 * the candidates (popularity <= tau, the lowest candidate's; no exact-match bonus, those are always candidates)
 * scores below tau + (k1 + 1) * sum idf_i. When the page's last score is at least that, the page is final;
 * otherwise the candidates grow. idf_i = ln((N - n_i + 0.5) / (n_i + 0.5)) floored at 1e-6 as FTS5 does, with
 * n_i counted exactly and N bounded from above by the largest rowid, so the bound never falls below the truth.
 *
 * Cost: one count per phrase and one pass of the MATCH per round (FTS5 computes bm25's idf over the whole
 * posting list once per statement), instead of bm25, the rank lookup and a sort for every match.
 */

/** FTS5's bm25 constant k1, fixed in its source. */
const K1 = 1.2;
/** Matches below this many are scored the ordinary way: that is cheap, and this plan would not pay off. */
export const BROAD_MATCHES = 4096;
/** Candidate rounds stop here: a filter this selective is better served by scoring its matches. */
const MAX_CANDIDATES = 131_072;

export interface PopularFirstQuery {
  tid: number;
  /** The MATCH expression the search runs. */
  match: string;
  /** The MATCH expression of each phrase of `match` (its idf bounds the text score). */
  phrases: string[];
  /** Score of a match as SQL over `<fts>.rowid` with the rank table joined as `r`, and its named parameters. */
  score: { sql: string; named: Record<string, string> };
  /** Rowids that may carry the exact-match bonus: always candidates, whatever their popularity. */
  exact: number[];
  /** A filter on the documents table (alias `d`) with its parameters. */
  filter: { sql: string; params: unknown[] } | null;
  /** The cursor: the last hit's score and id. */
  after: { score: number; id: string } | null;
  skip: number;
  size: number;
  /** Matches from which on this plan is taken (tests lower it). */
  broadAt?: number;
}

export type PageRow = { rid: number; id: string; src: string; score: number };

/** Ids compare as SQLite's BINARY collation does (UTF-8 bytes), not as JavaScript's UTF-16 units. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The phrases of `match` when it is the expression matchExpression builds from `text` (with its exclusions
 * after NOT), else null: the text bound is only known for phrases it can count, so a MATCH built another way
 * (say with added variants of a word) is scored the ordinary way.
 */
export function phrasesOf(text: TextQuery, match: string): string[] | null {
  const built = matchExpression(text);
  const expected = built.exclude ? `(${built.match}) NOT (${built.exclude})` : built.match;
  return expected === match ? text.must.map(clauseToFts) : null;
}

/** Whether the version has the popularity index this plan walks (versions made before it lack it). */
function hasRankIndex(db: Database.Database, tid: number): boolean {
  return (
    cached(db, `SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?`).get(rankIndex(tid)) !==
    undefined
  );
}

/** At least `at` matches (counted no further), so the query is broad enough for this plan. */
export function isBroad(db: Database.Database, tid: number, match: string, at: number): boolean {
  const f = ftsTable(tid);
  const n = cached(db, `SELECT count(*) FROM (SELECT 1 FROM ${f} WHERE ${f} MATCH ? LIMIT ?)`)
    .pluck()
    .get(match, at) as number;
  return n >= at;
}

/** An upper bound of the text part of any document's score: (k1 + 1) * sum of the phrases' idf. */
export function textScoreBound(db: Database.Database, tid: number, phrases: string[]): number {
  const f = ftsTable(tid);
  // FTS5's row count is its number of documents; rowids are unique, so the largest is at least that.
  const rows =
    (cached(db, `SELECT max(rowid) FROM ${docsTable(tid)}`)
      .pluck()
      .get() as number | null) ?? 0;
  let sum = 0;
  for (const phrase of phrases) {
    const hits = cached(db, `SELECT count(*) FROM ${f} WHERE ${f} MATCH ?`).pluck().get(phrase) as number;
    const idf = Math.log((rows - hits + 0.5) / (hits + 0.5));
    sum += idf > 1e-6 ? idf : 1e-6;
  }
  // Slack for rounding: the bound must not fall below a score SQLite computed in another order.
  return (K1 + 1) * sum * (1 + 1e-9) + 1e-9;
}

/**
 * The page, or null when the plan does not apply (not broad enough, no popularity index, a filter too
 * selective for the candidates to find a page): the caller then scores every match.
 */
export function popularFirst(db: Database.Database, q: PopularFirstQuery): PageRow[] | null {
  if (q.size === 0) return null;
  const { tid } = q;
  if (!hasRankIndex(db, tid)) return null;
  if (!isBroad(db, tid, q.match, q.broadAt ?? BROAD_MATCHES)) return null;
  const bound = textScoreBound(db, tid, q.phrases);
  const f = ftsTable(tid);
  const r = rankTable(tid);
  const d = docsTable(tid);
  const want = q.skip + q.size;
  // The most popular documents (that pass the filter): SQLite walks the popularity index, or, for a selective
  // filter, reads the filter's matches through their own index and sorts those.
  const popular = q.filter
    ? cached(
        db,
        `SELECT r.rowid, r.b FROM ${r} r JOIN ${d} d ON d.rowid = r.rowid WHERE ${q.filter.sql} ORDER BY r.b DESC LIMIT ?`,
      ).raw()
    : cached(db, `SELECT rowid, b FROM ${r} INDEXED BY ${rankIndex(tid)} ORDER BY b DESC LIMIT ?`).raw();
  const params = q.filter?.params ?? [];
  // The unary + keeps the rowid list out of FTS5's plan: given it, FTS5 would start over (and recount bm25's
  // idf over the whole posting list) once per rowid instead of reading the posting list once.
  const scoreSql =
    `SELECT ${f}.rowid AS rid, ${q.score.sql} AS score FROM ${f} LEFT JOIN ${r} r ON r.rowid = ${f}.rowid ` +
    `WHERE ${f} MATCH @match AND +${f}.rowid IN (SELECT value FROM json_each(@ids))`;
  const passing = cached(
    db,
    `SELECT d.rowid FROM ${d} d WHERE d.rowid IN (SELECT value FROM json_each(?)) AND ${q.filter?.sql ?? '1'}`,
  ).pluck();
  const idOf = cached(db, `SELECT id FROM ${d} WHERE rowid = ?`).pluck();

  for (let limit = Math.max(2048, 64 * want); ; limit *= 8) {
    const top = popular.all(...params, limit) as [number, number][];
    const everyone = top.length < limit;
    const tau = everyone ? -Infinity : top.at(-1)![1];
    // Exact matches that fail the filter are not matches: the MATCH below is joined to nothing else.
    const exact =
      q.filter && q.exact.length ? (passing.all(JSON.stringify(q.exact), ...params) as number[]) : q.exact;
    const ids = [...new Set([...top.map((t) => t[0]), ...exact])];
    const scored = cached(db, scoreSql).all({
      ...q.score.named,
      match: q.match,
      ids: JSON.stringify(ids),
    }) as { rid: number; score: number }[];
    const page = pageOf(scored, q, want, (rid) => idOf.get(rid) as string);
    const last = page.length === want ? page[want - 1]!.score : null;
    if (everyone || (last !== null && last >= tau + bound)) {
      const docs = cached(db, `SELECT src FROM ${d} WHERE rowid = ?`).pluck();
      return page.slice(q.after ? 0 : q.skip).map((p) => ({ ...p, src: docs.get(p.rid) as string }));
    }
    if (limit >= MAX_CANDIDATES) return null;
  }
}

/**
 * The first `want` scored candidates after the cursor, by score then id. Ids are read only for the candidates
 * at or above the boundary score, the ones whose order (or place relative to the cursor) an id can change.
 */
function pageOf(
  scored: { rid: number; score: number }[],
  q: PopularFirstQuery,
  want: number,
  idOf: (rid: number) => string,
): { rid: number; id: string; score: number }[] {
  const after = q.after;
  const pool = after ? scored.filter((s) => s.score <= after.score) : scored;
  pool.sort((a, b) => b.score - a.score);
  // Candidates tying with the cursor's score may lie before it: they do not count towards the page.
  const atCursor = after ? pool.filter((s) => s.score === after.score).length : 0;
  const edge = Math.min(pool.length, want + atCursor) - 1;
  if (edge < 0) return [];
  const boundary = pool[edge]!.score;
  const head = pool
    .filter((s) => s.score >= boundary)
    .map((s) => ({ ...s, id: idOf(s.rid) }))
    .filter((s) => !after || s.score < after.score || byteOrder(s.id, after.id) > 0);
  head.sort((a, b) => b.score - a.score || byteOrder(a.id, b.id));
  return head.slice(0, want);
}
