import type Database from 'better-sqlite3';
import type { TextQuery } from '../../query/types.js';
import {
  bm25Stats,
  foldsFurther,
  holdsAll,
  mayMatch,
  rowSizes,
  scoreRow,
  type Bm25Stats,
  type RowPhrase,
  type TextRow,
} from './bm25.js';
import { docsTable, ftsTable, rankIndex, rankTable } from './ddl.js';
import type { Phrase } from './match.js';
import { cached } from './statements.js';

/**
 * Top-k for broad text queries, reading the most popular documents first and stopping as soon as no other
 * document can reach the page. Exact for the ranking formula (see docs/engines.md):
 *
 *   score = text + exact + popularity,  text = FTS5 bm25 = sum over phrases i of idf_i * F*(k1+1) / (F + k1*L)
 *
 * Each phrase's term is below idf_i * (k1 + 1) (F / (F + k1*L) < 1 since L >= 1 - b > 0), so a document outside
 * the candidates (popularity <= tau, the lowest candidate's; no exact-match bonus, those are always candidates)
 * scores below tau + (k1 + 1) * sum idf_i (+ the whole-word tier, when the query has one). When the page's last
 * score is at least that, the page is final; otherwise the candidates grow.
 *
 * A word widened by typo corrections or synonyms is an OR of phrases, and FTS5's bm25 sums over every phrase of
 * the expression, each with its own idf: a document may hold several alternatives, so the sum over all of them
 * is the exact bound, not the largest. Corrections are mostly rare words, whose idf is large; so the documents
 * of a rare alternative are read whole (few rows, found through the text index) and scored as candidates, and
 * only the alternatives too common to read count in the bound: a document outside the candidates holds none
 * of the rare ones, so their terms are 0 for it.
 *
 * Cost: one count per phrase (bm25's idf), then per candidate its row and its FTS5 row size, scored here
 * (bm25.ts): no MATCH scan scores, joins or sorts every match, which is what a broad word used to cost.
 */

/** FTS5's bm25 constant k1, fixed in its source. */
const K1 = 1.2;
/** Matches below this many are scored the ordinary way: that is cheap, and this plan would not pay off. */
export const BROAD_MATCHES = 4096;
/** Candidates scored here at most: beyond, FTS5 scoring every match is about as cheap. */
const MAX_CANDIDATES = 32_768;
/**
 * Matches per candidate scored here, at least, for the text index to be read instead: a row scored here costs
 * about 15 times what FTS5's bm25 costs per match (measured on 1M documents, 27k candidates of a 28k match:
 * 5 s here, 0.4 s by SQL), so a second round that would score more than this share of the match is left to SQL.
 */
const MATCHES_PER_CANDIDATE = 8;
/** Documents of a widened word's rare alternatives read whole, at most (their idf then leaves the bound). */
const RARE_ROWS = 4096;

export interface PopularFirstQuery {
  tid: number;
  /** The MATCH expression the search runs. */
  match: string;
  /**
   * `match` as FTS5 scores it: its phrases in order, one OR-group per query word, the groups AND-ed (the
   * exclusions, after NOT, are `text.mustNot`).
   */
  groups: Phrase[][];
  /** The parsed query the MATCH was built from. */
  text: TextQuery;
  /**
   * The whole-word tier: its bonus for a document holding some phrase of every group (the query as typed), or
   * null when the query has none.
   */
  tier: { boost: number; groups: Phrase[][] } | null;
  /** The searchable columns of the documents table in FTS5 column order, and their bm25 weights. */
  columns: string[];
  weights: number[];
  /** The score as SQL over `<fts>.rowid` with the rank table as `r` (for rows only FTS5 can judge). */
  fts5Score: { sql: string; named: Record<string, string> };
  /** Per exact-match field in the order of the score expression: its bonus and the rowids that get it. */
  exact: { boost: number; rowids: number[] }[];
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
 * What a search learns about the data that the next one can reuse (match counts, each phrase's idf, the most
 * popular rows), per reader connection, valid while nothing was committed: SQLite's data_version moves with
 * every commit of any other connection, and is read inside the search's read transaction.
 */
const snapshots = new WeakMap<Database.Database, { version: number; memo: Map<string, unknown> }>();
const MEMO_ENTRIES = 512;

/** The memo of the connection's current snapshot (emptied when another connection has committed). */
function snapshot(db: Database.Database): Map<string, unknown> {
  const version = cached(db, 'PRAGMA data_version').pluck().get() as number;
  let snap = snapshots.get(db);
  if (!snap || snap.version !== version) snapshots.set(db, (snap = { version, memo: new Map() }));
  if (snap.memo.size >= MEMO_ENTRIES) snap.memo.clear();
  return snap.memo;
}

function memo<T>(db: Database.Database, key: string, make: () => T): T {
  const m = snapshot(db);
  if (m.has(key)) return m.get(key) as T;
  const value = make();
  m.set(key, value);
  return value;
}

/** A candidate as scoring needs it. */
interface CandidateRow extends TextRow {
  rid: number;
  id: string;
  b: number;
}

/** Whether the version has the popularity index this plan walks (versions made before it lack it). */
function hasRankIndex(db: Database.Database, tid: number): boolean {
  return (
    cached(db, `SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?`).get(rankIndex(tid)) !==
    undefined
  );
}

/**
 * Whether this snapshot already counted `match` to at least BROAD_MATCHES (a search's total needs no count below
 * that); false when it did not or does not know.
 */
export function knownBroad(db: Database.Database, tid: number, match: string): boolean {
  return snapshot(db).get(`broad:${tid}:${BROAD_MATCHES}:${match}`) === true;
}

/** At least `at` matches (counted no further), so the query is broad enough for this plan. */
export function isBroad(db: Database.Database, tid: number, match: string, at: number): boolean {
  const f = ftsTable(tid);
  const n = cached(db, `SELECT count(*) FROM (SELECT 1 FROM ${f} WHERE ${f} MATCH ? LIMIT ?)`)
    .pluck()
    .get(match, at) as number;
  return n >= at;
}

/**
 * An upper bound of the text part of any document's score: (k1 + 1) * sum of the phrases' idf, with slack;
 * phrases in `without` (whose documents are all candidates) left out.
 */
export function textScoreBound(stats: Bm25Stats, without: ReadonlySet<number> = new Set()): number {
  const idf = stats.idf.filter((_, i) => !without.has(i));
  return (K1 + 1) * idf.reduce((x, y) => x + y, 0) * (1 + 1e-9) + 1e-9;
}

/** Phrases as rows are scored for them: column names to FTS5 column indexes. */
function rowPhrases(groups: Phrase[][], columns: string[]): RowPhrase[][] {
  return groups.map((g) =>
    g.map((p) => ({
      clause: p.clause,
      columns: p.columns ? new Set(p.columns.map((c) => columns.indexOf(c))) : null,
    })),
  );
}

/**
 * The alternatives of widened words whose documents are few enough to read whole (fewest first, RARE_ROWS in
 * all), by their index among the phrases. A word that is not widened keeps its phrase in the bound, as before.
 */
function rarePhrases(groups: Phrase[][], stats: Bm25Stats): Set<number> {
  const widened: number[] = [];
  let at = 0;
  for (const g of groups) {
    if (g.length > 1) for (let k = 0; k < g.length; k++) widened.push(at + k);
    at += g.length;
  }
  widened.sort((a, b) => stats.hits[a]! - stats.hits[b]!);
  const rare = new Set<number>();
  let budget = RARE_ROWS;
  for (const i of widened) {
    if (stats.hits[i]! > budget) break;
    budget -= stats.hits[i]!;
    rare.add(i);
  }
  return rare;
}

/**
 * The page, or null when the plan does not apply (not broad enough, no popularity index, a filter too
 * selective for the candidates to find a page, a row whose tokens only FTS5 can be trusted with): the caller
 * then scores every match.
 */
export function popularFirst(db: Database.Database, q: PopularFirstQuery): PageRow[] | null {
  if (q.size === 0) return null;
  const { tid } = q;
  if (!hasRankIndex(db, tid)) return null;
  // A query token FTS5 would fold further (several diacritics) could match rows this module cannot see.
  const phrases = q.groups.flat();
  const tokens = [...phrases.map((p) => p.clause), ...q.text.mustNot].flatMap((c) => c.tokens);
  if (tokens.some(foldsFurther)) return null;
  const broadAt = q.broadAt ?? BROAD_MATCHES;
  if (!memo(db, `broad:${tid}:${broadAt}:${q.match}`, () => isBroad(db, tid, q.match, broadAt))) return null;
  const ftsPhrases = phrases.map((p) => p.fts);
  const stats = memo(db, `idf:${tid}:${ftsPhrases.join('\n')}`, () => bm25Stats(db, tid, ftsPhrases));
  const groups = rowPhrases(q.groups, q.columns);
  const tierGroups = q.tier ? rowPhrases(q.tier.groups, q.columns) : null;
  const rare = rarePhrases(q.groups, stats);
  // A document outside the candidates may hold the query as typed: the tier is part of what it can reach. The
  // absolute slack covers the rounding of sums near the tier's size (1e6: a unit in the last place is 1e-10).
  const bound = textScoreBound(stats, rare) + (q.tier ? q.tier.boost + 1e-6 : 0);
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
  const passing = cached(
    db,
    `SELECT d.rowid FROM ${d} d WHERE d.rowid IN (SELECT value FROM json_each(?)) AND ${q.filter?.sql ?? '1'}`,
  ).pluck();
  const rowsOf = cached(
    db,
    `SELECT d.rowid AS rid, d.id AS id, coalesce(r.b, 0) AS b, ${q.columns.map((c) => `d.${c}`).join(', ')} ` +
      `FROM ${d} d LEFT JOIN ${r} r ON r.rowid = d.rowid WHERE d.rowid IN (SELECT value FROM json_each(?))`,
  ).raw();
  const exactAll = q.exact.flatMap((e) => e.rowids);
  // Exact matches that fail the filter are not matches.
  const exactIn = new Set(
    q.filter && exactAll.length ? (passing.all(JSON.stringify(exactAll), ...params) as number[]) : exactAll,
  );

  const fetchRows = (rowids: number[]): CandidateRow[] =>
    (rowsOf.all(JSON.stringify(rowids)) as unknown[][]).map((row) => {
      const [rid, id, b, ...columns] = row as [number, string, number, ...(string | null)[]];
      return { rid, id, b, columns };
    });
  const scored = new Map<number, { rid: number; id: string; score: number }>();
  const seen = new Set<number>();
  /** Scores the rows not scored yet. */
  const score = (rows: CandidateRow[]): void => {
    const fresh = rows.filter((row) => !seen.has(row.rid) && (seen.add(row.rid), true));
    const possible = fresh.filter((row) => mayMatch(row, groups));
    // Row sizes are read only for rows that may match, once per row kept across queries.
    const sizes = rowSizes(
      db,
      tid,
      possible.filter((row) => row.size === undefined).map((row) => row.rid),
    );
    for (const row of possible) row.size ??= sizes.get(row.rid);
    const unsure: CandidateRow[] = [];
    for (const row of possible) {
      const res = scoreRow(row, groups, q.text.mustNot, q.weights, stats);
      if (res === 'unsure') {
        unsure.push(row);
        continue;
      }
      if (!res.matches) continue;
      // In the order SQL adds the parts: text, the whole-word tier, each exact-match bonus, popularity.
      let text = res.text;
      if (q.tier) text = text + (holdsAll(row, tierGroups!) ? q.tier.boost : 0);
      for (const e of q.exact) text = text + (e.rowids.includes(row.rid) ? e.boost : 0);
      scored.set(row.rid, { rid: row.rid, id: row.id, score: text + row.b });
    }
    if (unsure.length) {
      // Rows whose text this module cannot tokenize as FTS5 does: FTS5 scores them, in one pass of the MATCH
      // (the unary + keeps it from starting over per rowid, recounting bm25's idf each time).
      const ids = new Map(unsure.map((row) => [row.rid, row.id]));
      const rows = cached(
        db,
        `SELECT ${f}.rowid AS rid, ${q.fts5Score.sql} AS score FROM ${f} LEFT JOIN ${r} r ON r.rowid = ${f}.rowid ` +
          `WHERE ${f} MATCH @match AND +${f}.rowid IN (SELECT value FROM json_each(@ids))`,
      ).all({ ...q.fts5Score.named, match: q.match, ids: JSON.stringify([...ids.keys()]) }) as {
        rid: number;
        score: number;
      }[];
      for (const row of rows) scored.set(row.rid, { rid: row.rid, id: ids.get(row.rid)!, score: row.score });
    }
  };
  /** The `limit` most popular rows, most popular first (without a filter the same for every query: kept). */
  const popularRows = (limit: number): { rows: CandidateRow[]; tau: number; everyone: boolean } => {
    const load = (n: number) => {
      const top = popular.all(...params, n) as [number, number][];
      const byRid = new Map(fetchRows(top.map((t) => t[0])).map((row) => [row.rid, row]));
      return top.map((t) => byRid.get(t[0])!);
    };
    let rows: CandidateRow[];
    if (q.filter) rows = load(limit);
    else {
      const m = snapshot(db);
      const key = `top:${tid}`;
      let kept = m.get(key) as { rows: CandidateRow[]; all: boolean } | undefined;
      if (!kept || (kept.rows.length < limit && !kept.all)) {
        const loaded = load(limit);
        m.set(key, (kept = { rows: loaded, all: loaded.length < limit }));
      }
      rows = kept.rows.slice(0, limit);
    }
    const everyone = rows.length < limit;
    return { rows, tau: everyone ? -Infinity : rows[limit - 1]!.b, everyone };
  };
  const finish = (page: { rid: number; id: string; score: number }[]): PageRow[] => {
    const docs = cached(db, `SELECT src FROM ${d} WHERE rowid = ?`).pluck();
    return page.slice(q.after ? 0 : q.skip).map((p) => ({ ...p, src: docs.get(p.rid) as string }));
  };

  // The documents of the rare alternatives (that pass the filter) are candidates from the start.
  const rareRowids = [...rare].flatMap((i) =>
    memo(db, `rows:${tid}:${phrases[i]!.fts}`, () =>
      cached(db, `SELECT rowid FROM ${f} WHERE ${f} MATCH ?`).pluck().all(phrases[i]!.fts),
    ),
  ) as number[];
  const rareIn =
    q.filter && rareRowids.length
      ? (passing.all(JSON.stringify(rareRowids), ...params) as number[])
      : rareRowids;
  const always = [...new Set([...exactIn, ...rareIn])];

  // Round one: the most popular documents. Usually enough for a very common word, whose idf (and so the bound)
  // is small; while the page is not full, more of them.
  let page: { rid: number; id: string; score: number }[] = [];
  for (let limit = Math.max(2048, 64 * want); ; limit *= 8) {
    const { rows, tau, everyone } = popularRows(limit);
    score([...rows, ...fetchRows(always.filter((rid) => !seen.has(rid)))]);
    page = pageOf([...scored.values()], q.after, want);
    const last = page.length === want ? page[want - 1]!.score : null;
    if (everyone || (last !== null && last >= tau + bound)) return finish(page);
    if (last !== null) break;
    if (limit * 8 > MAX_CANDIDATES) return null;
  }
  // Round two: the page's last score so far, minus the bound, is the least popularity a document needs to
  // enter the page. Those documents are scored here when there are not too many; else the matches that
  // popular are read from the text index (without scoring them there).
  const threshold = page[want - 1]!.score - bound;
  const abovePopular = (
    q.filter
      ? cached(
          db,
          `SELECT count(*) FROM (SELECT 1 FROM ${r} r JOIN ${d} d ON d.rowid = r.rowid WHERE r.b >= ? AND ${q.filter.sql} LIMIT ?)`,
        )
      : cached(
          db,
          `SELECT count(*) FROM (SELECT 1 FROM ${r} INDEXED BY ${rankIndex(tid)} WHERE b >= ? LIMIT ?)`,
        )
  )
    .pluck()
    .get(threshold, ...params, MAX_CANDIDATES + 1) as number;
  let above: CandidateRow[];
  if (abovePopular <= MAX_CANDIDATES) {
    above = abovePopular > 0 ? popularRows(abovePopular).rows : [];
  } else {
    // At most this many matching documents are worth scoring here: the match has at most `matches` documents
    // (each group matches at most the sum of its phrases' documents).
    let matches = Infinity;
    let at = 0;
    for (const g of q.groups) {
      matches = Math.min(
        matches,
        stats.hits.slice(at, at + g.length).reduce((a, b) => a + b, 0),
      );
      at += g.length;
    }
    const worth = Math.min(MAX_CANDIDATES, Math.floor(matches / MATCHES_PER_CANDIDATE));
    const rowids = cached(
      db,
      `SELECT ${f}.rowid FROM ${f} CROSS JOIN ${r} r ON r.rowid = ${f}.rowid` +
        (q.filter ? ` CROSS JOIN ${d} d ON d.rowid = ${f}.rowid` : '') +
        ` WHERE ${f} MATCH ? AND r.b >= ?${q.filter ? ` AND ${q.filter.sql}` : ''} LIMIT ?`,
    )
      .pluck()
      .all(q.match, threshold, ...params, worth + 1) as number[];
    if (rowids.length > worth) return null;
    above = fetchRows(rowids.filter((rid) => !seen.has(rid)));
  }
  score(above);
  return finish(pageOf([...scored.values()], q.after, want));
}

/** The first `want` scored candidates after the cursor, by score then id. */
function pageOf(
  scored: { rid: number; id: string; score: number }[],
  after: PopularFirstQuery['after'],
  want: number,
): { rid: number; id: string; score: number }[] {
  const eligible = after
    ? scored.filter(
        (s) => s.score < after.score || (s.score === after.score && byteOrder(s.id, after.id) > 0),
      )
    : scored;
  eligible.sort((a, b) => b.score - a.score || byteOrder(a.id, b.id));
  return eligible.slice(0, want);
}
