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
import { matchRowids, reachingMatches, rememberMatch, rowidsOf, unionOf } from './popular-matches.js';
import { memo, snapshot } from './snapshot-memo.js';
import { cached, inSchema } from './statements.js';

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
/** Popular documents the first round reads at most while its page is not full. */
const MAX_CANDIDATES = 32_768;
/**
 * Documents above the second round's popularity threshold scored here at most, unless already read: reading
 * them costs about 10 µs a row (31k rows for `eslint` on 1M documents: 300-450 ms, then 60 ms warm), where FTS5
 * scores the matches that popular in one scan (65 ms cold, 26 warm).
 */
const SCORE_HERE_AT = 4096;
/** Rows FTS5 hands over beyond the page, so that score ties at the page's end are usually all in hand. */
export const TIE_PAD = 16;
/**
 * Rows read whole (the rare alternatives' and the tier's) scored here in the first round, at most: a row costs
 * about 18 µs here (its text read and tokenized, its size looked up: 2,140 rows took 40 ms on 1M documents),
 * more than FTS5's scan of a common word's match costs to score them too.
 */
const SCORE_READ_WHOLE_AT = 512;
/** Documents of a widened word's rare alternatives read whole, at most (their idf then leaves the bound). */
const RARE_ROWS = 4096;
/** Documents above the second round's popularity threshold listed for FTS5's scan, at most (see finishAbove). */
const LIST_POPULAR_AT = 4096;
/** What FTS5's scan costs per listed row, in rows it scores for their popularity (measured on 1M documents). */
const LISTED_ROW_COST = 2;
/**
 * Documents above the second round's popularity threshold met with the match in memory, at most: beyond, FTS5's
 * scan checks each match's popularity itself.
 */
const POPULAR_CAP = 262_144;
/**
 * Matches looked up one by one for their popularity, at most, when their bound lets more documents in than
 * POPULAR_CAP (about 1 µs each).
 */
const LOOKUPS = 16_384;
/**
 * What scoring a row here costs, in matches FTS5's scan walks past meanwhile (about 18 µs against 0.7 µs): the
 * popular matches are scored here when fewer than the matches over this, listed for the scan otherwise.
 */
const HERE_ROW_COST = 25;
/** Rows of the rank table sampled per snapshot to estimate how many documents clear a popularity threshold. */
const POPULARITY_SAMPLE = 1024;

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
  tier: { boost: number; groups: Phrase[][]; match: string } | null;
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
  /** The most popular documents scored in the first round (tests lower it). */
  firstRound?: number;
  /** Rows read whole scored in the first round at most, FTS5 scoring them in the second beyond (tests lower it). */
  scoreReadWholeAt?: number;
  /** Candidates of the second round scored here at most, whatever the snapshot holds (tests set it). */
  scoreHereAt?: number;
  /** Documents above the second round's threshold listed for its scan, at most (tests set it; -1 lists none). */
  listPopularAt?: number;
  /** Documents above the second round's threshold met with the match in memory, at most (tests set it; -1: none). */
  popularCap?: number;
  /** What scoring a row here costs in matches walked by FTS5's scan (tests set it). */
  hereRowCost?: number;
  /** Rows of a widened word's rare alternatives read whole, at most (tests set it; 0 reads none). */
  rareRows?: number;
  /**
   * The phrases whose documents the second round lists (by index among the phrases; tests set it): by default
   * the choice that leaves FTS5 the fewest rows to score, by estimate (see listing).
   */
  listed?: number[];
}

export type PageRow = { rid: number; id: string; src: string; score: number };

/** Ids compare as SQLite's BINARY collation does (UTF-8 bytes), not as JavaScript's UTF-16 units. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** A candidate as scoring needs it. */
interface CandidateRow extends TextRow {
  rid: number;
  id: string;
  b: number;
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
function rarePhrases(groups: Phrase[][], stats: Bm25Stats, budget: number): Set<number> {
  const widened: number[] = [];
  let at = 0;
  for (const g of groups) {
    if (g.length > 1) for (let k = 0; k < g.length; k++) widened.push(at + k);
    at += g.length;
  }
  widened.sort((a, b) => stats.hits[a]! - stats.hits[b]!);
  const rare = new Set<number>();
  for (const i of widened) {
    if (stats.hits[i]! > budget) break;
    budget -= stats.hits[i]!;
    rare.add(i);
  }
  return rare;
}

/**
 * The share of the documents at least `b` popular, estimated from rows of the rank table at evenly spread rowids
 * (the same ones every time, so an estimate is repeatable), sampled once per snapshot.
 */
function popularShare(db: Database.Database, tid: number): (b: number) => number {
  const sample = memo(db, `popularity-sample:${tid}`, () => {
    const r = rankTable(tid);
    const top = (cached(db, `SELECT max(rowid) FROM ${r}`).pluck().get() as number | null) ?? 0;
    const at = cached(db, `SELECT b FROM ${r} WHERE rowid = ?`).pluck();
    const values: number[] = [];
    for (let k = 0; k < POPULARITY_SAMPLE && top > 0; k++) {
      const b = at.get(1 + Math.floor(((k + 0.5) * top) / POPULARITY_SAMPLE)) as number | undefined;
      if (b !== undefined) values.push(b);
    }
    return values.sort((x, y) => y - x);
  });
  return (b) => {
    if (sample.length === 0) return 1;
    let n = 0;
    while (n < sample.length && sample[n]! >= b) n++;
    return n / sample.length;
  };
}

/**
 * Whether the listed phrases' documents (with the rare ones', scored already) hold every match: every phrase of
 * some group is among them, and each match holds a phrase of every group.
 */
function holdsEveryMatch(
  groups: Phrase[][],
  listed: ReadonlySet<number>,
  rare: ReadonlySet<number>,
): boolean {
  let at = 0;
  let whole = false;
  for (const g of groups) {
    const indexes = g.map((_, k) => at + k);
    at += g.length;
    if (indexes.some((i) => listed.has(i)) && indexes.every((i) => listed.has(i) || rare.has(i)))
      whole = true;
  }
  return whole;
}

/**
 * Which phrases the second round lists, if any: FTS5 scores the listed phrases' documents in its scan, and
 * their idf leaves the bound, so fewer documents are popular enough to be scored. Listing the phrases with the
 * fewest documents first, each choice is costed as the rows FTS5 would score (the listed ones, plus the
 * matches estimated to clear the popularity threshold); the cheapest wins, listing nothing included. When every
 * phrase of some group (a query word and its alternatives) is listed, every match is in the list (`whole`).
 */
function listing(
  groups: Phrase[][],
  stats: Bm25Stats,
  rare: ReadonlySet<number>,
  cost: (listed: ReadonlySet<number>, whole: boolean) => number,
): { listed: Set<number>; whole: boolean } {
  const order = stats.hits.map((_, i) => i).filter((i) => !rare.has(i));
  order.sort((a, b) => stats.hits[a]! - stats.hits[b]!);
  const wholeWith = (listed: ReadonlySet<number>) => holdsEveryMatch(groups, listed, rare);
  let best = { listed: new Set<number>(), whole: false, cost: cost(new Set(), false) };
  const listed = new Set<number>();
  for (const i of order) {
    listed.add(i);
    const whole = wholeWith(listed);
    const c = cost(listed, whole);
    if (c < best.cost) best = { listed: new Set(listed), whole, cost: c };
    if (whole) break;
  }
  return { listed: best.listed, whole: best.whole };
}

/**
 * The page, or null when the plan does not apply (not broad enough, no popularity index, a filter too
 * selective for the candidates to find a page, a row whose tokens only FTS5 can be trusted with): the caller
 * then scores every match.
 */
export function popularFirst(db: Database.Database, q: PopularFirstQuery): PageRow[] | null {
  if (q.size === 0) return null;
  const { tid } = q;
  // Versions made before the popularity index lack it.
  if (!inSchema(db, 'index', rankIndex(tid))) return null;
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
  const rare = rarePhrases(q.groups, stats, q.rareRows ?? RARE_ROWS);
  const f = ftsTable(tid);
  // The documents holding the query as typed, when few enough to read whole: they are candidates from the start,
  // so no document outside the candidates can get the tier's bonus.
  /** The rowids a MATCH expression finds, at most `limit` of them (-1: all). */
  const matching = (match: string, limit = -1) =>
    cached(db, `SELECT rowid FROM ${f} WHERE ${f} MATCH ? LIMIT ?`).pluck().all(match, limit) as number[];
  const tierRowids = q.tier
    ? memo(db, `tier:${tid}:${q.tier.match}`, () => {
        const rows = matching(q.tier!.match, RARE_ROWS + 1);
        return rows.length > RARE_ROWS ? null : rows;
      })
    : [];
  // Otherwise a document outside the candidates may hold the query as typed: the tier is part of what it can
  // reach. The absolute slack covers the rounding of sums near the tier's size (1e6: a unit in the last place is
  // 1e-10).
  const bound = textScoreBound(stats, rare) + (tierRowids === null ? q.tier!.boost + 1e-6 : 0);
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
  /** The rowids that pass the filter. */
  const passingOf = (rowids: number[]): number[] =>
    q.filter && rowids.length ? (passing.all(JSON.stringify(rowids), ...params) as number[]) : rowids;
  // Exact matches that fail the filter are not matches.
  const exactIn = new Set(passingOf(q.exact.flatMap((e) => e.rowids)));

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
  /** Where this snapshot keeps the most popular rows read so far (without a filter they serve every query). */
  const topKey = `top:${tid}`;
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
      let kept = m.get(topKey) as { rows: CandidateRow[]; all: boolean } | undefined;
      if (!kept || (kept.rows.length < limit && !kept.all)) {
        const loaded = load(limit);
        m.set(topKey, (kept = { rows: loaded, all: loaded.length < limit }));
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

  /**
   * The page from FTS5's scores of the matches at least `threshold` popular (with the rows scored so far), or
   * null when score ties run past the rows read, which the ordinary plan settles by id.
   */
  const finishAbove = (threshold: number, also: number[]): PageRow[] | null => {
    const limit = want + TIE_PAD;
    // When few documents are that popular (the rank index counts them), they are listed with `also`: the scan
    // then skips a match that is not listed before looking its popularity up, instead of looking up every one
    // (`types` on 1M documents, 117k matches of which 1k that popular: 87-121 -> 68-79 ms).
    const popular =
      threshold === Number.MAX_VALUE
        ? []
        : (cached(
            db,
            `SELECT rowid FROM ${r} INDEXED BY ${rankIndex(tid)} WHERE b >= ? ORDER BY b DESC LIMIT ?`,
          )
            .pluck()
            .all(threshold, (q.listPopularAt ?? LIST_POPULAR_AT) + 1) as number[]);
    const listOnly = popular.length <= (q.listPopularAt ?? LIST_POPULAR_AT);
    const list = listOnly ? [...new Set([...also, ...popular])] : also;
    // The unary + keeps SQLite from driving the scan by the listed rowids (one MATCH per rowid).
    const top = cached(
      db,
      `SELECT rid, score FROM (SELECT ${f}.rowid AS rid, ${q.fts5Score.sql} AS score FROM ${f} ` +
        `CROSS JOIN ${r} r ON r.rowid = ${f}.rowid` +
        (q.filter ? ` CROSS JOIN ${d} d ON d.rowid = ${f}.rowid` : '') +
        ` WHERE ${f} MATCH @pf_match AND ` +
        (listOnly
          ? `+${f}.rowid IN (SELECT value FROM json_each(@pf_list))`
          : `(r.b >= @pf_threshold OR +${f}.rowid IN (SELECT value FROM json_each(@pf_list)))`) +
        `${q.filter ? ` AND ${q.filter.sql}` : ''})` +
        `${q.after ? ' WHERE score <= @pf_after' : ''} ORDER BY score DESC LIMIT @pf_limit`,
    ).all(
      {
        ...q.fts5Score.named,
        pf_match: q.match,
        pf_list: JSON.stringify(list),
        pf_limit: limit,
        ...(listOnly ? {} : { pf_threshold: threshold }),
        ...(q.after ? { pf_after: q.after.score } : {}),
      },
      ...params,
    ) as {
      rid: number;
      score: number;
    }[];
    const idOf = cached(db, `SELECT id FROM ${d} WHERE rowid = ?`).pluck();
    for (const row of top) {
      if (!scored.has(row.rid)) scored.set(row.rid, { ...row, id: idOf.get(row.rid) as string });
    }
    const page = pageOf([...scored.values()], q.after, want);
    const complete =
      top.length < limit || (page.length === want && top.at(-1)!.score < page[want - 1]!.score);
    return complete ? finish(page) : null;
  };

  // The documents of the rare alternatives and of the tier, when read whole (those that pass the filter), are
  // candidates from the start.
  const rareRowids = [...rare].flatMap((i) =>
    memo(db, `rows:${tid}:${phrases[i]!.fts}`, () => matching(phrases[i]!.fts)),
  );
  const always = [...new Set([...exactIn, ...passingOf([...rareRowids, ...(tierRowids ?? [])])])];
  // Many of them (a widened word's rare alternatives can hold thousands) cost more to read and tokenize here than
  // FTS5 costs to score them in the second round's scan of the match: they wait for it. Until then the page is
  // final only if none of them could reach it either (their text is within the bound of every phrase).
  const deferred =
    always.length > (q.scoreReadWholeAt ?? SCORE_READ_WHOLE_AT)
      ? always.filter((rid) => !exactIn.has(rid))
      : [];
  const deferredReach = (): number =>
    deferred.length === 0
      ? -Infinity
      : (cached(db, `SELECT max(b) FROM ${r} WHERE rowid IN (SELECT value FROM json_each(?))`)
          .pluck()
          .get(JSON.stringify(deferred)) as number) +
        textScoreBound(stats) +
        (q.tier ? q.tier.boost + 1e-6 : 0);
  const scoredFirst = deferred.length ? [...exactIn] : always;

  // Round one: the most popular documents. Usually enough for a very common word, whose idf (and so the bound)
  // is small; while the page is not full, more of them.
  let page: { rid: number; id: string; score: number }[] = [];
  for (let limit = q.firstRound ?? Math.max(2048, 64 * want); ; limit *= 8) {
    const { rows, tau, everyone } = popularRows(limit);
    score([...rows, ...fetchRows(scoredFirst.filter((rid) => !seen.has(rid)))]);
    page = pageOf([...scored.values()], q.after, want);
    const last = page.length === want ? page[want - 1]!.score : null;
    if (everyone || (last !== null && last >= tau + bound && last >= deferredReach())) return finish(page);
    if (last !== null) break;
    if (limit * 8 > MAX_CANDIDATES) return null;
  }
  // Round two: the page's last score so far, minus the bound, is the least popularity a document needs to
  // enter the page. Those documents are scored here when there are not too many.
  const last = page[want - 1]!.score;
  const threshold = last - bound;
  /** The bound of a document outside the candidates and the listed phrases' documents. */
  const boundWithout = (listed: ReadonlySet<number>) =>
    textScoreBound(stats, new Set([...rare, ...listed])) + (tierRowids === null ? q.tier!.boost + 1e-6 : 0);
  /** FTS5 scores `also`, the listed phrases' documents, and the matches popular enough to reach the page. */
  const scan = (also: number[]): PageRow[] | null => {
    // Matches, at most: every one holds a phrase of each group.
    let at = 0;
    let matches = Infinity;
    for (const g of q.groups) {
      matches = Math.min(
        matches,
        g.reduce((n, _, k) => n + stats.hits[at + k]!, 0),
      );
      at += g.length;
    }
    const { listed, whole } = q.listed
      ? { listed: new Set(q.listed), whole: holdsEveryMatch(q.groups, new Set(q.listed), rare) }
      : listing(q.groups, stats, rare, (l, w) => {
          const share = popularShare(db, tid);
          // A listed row costs about twice a popular one: its rowid is read, handed over as JSON and looked up.
          const rows = [...l].reduce((n, i) => n + stats.hits[i]!, 0);
          return LISTED_ROW_COST * rows + (w ? 0 : matches * share(last - boundWithout(l)));
        });
    if (listed.size === 0) return finishAbove(threshold, also);
    const listedRowids = [...listed].flatMap((i) =>
      memo(db, `rows:${tid}:${phrases[i]!.fts}`, () => matching(phrases[i]!.fts)),
    );
    const all = [...new Set([...also, ...listedRowids])];
    return finishAbove(whole ? Number.MAX_VALUE : last - boundWithout(listed), all);
  };
  // Scored here when few, or when this snapshot already holds them (read by an earlier search without a filter).
  const hereAt = q.scoreHereAt ?? SCORE_HERE_AT;
  const loaded =
    q.filter || q.scoreHereAt !== undefined
      ? 0
      : ((snapshot(db).get(topKey) as { rows: CandidateRow[] } | undefined)?.rows.length ?? 0);
  /**
   * The matches that can still reach the page, each judged by its own bound (popular-matches.ts) rather than
   * checked one by one in FTS5's scan against the query's: scored here when that costs less than the scan, listed
   * for it otherwise; null when a bound lets too many in for that to pay off.
   */
  const popularMatchesPage = (): PageRow[] | null => {
    if (q.popularCap !== undefined && q.popularCap < 0) return null;
    // A word that is not widened is one phrase every match holds; a widened word's alternatives are held by some
    // (a rare one's documents, read whole, are skipped as scored unless they wait for this round).
    // A prefix phrase that every alternative of its word begins with (`"component"*` and `"components"`) is held by
    // every match too.
    let base = 0;
    const lists: { rowids: Float64Array; bound: number }[] = [];
    let at = 0;
    let everyMatchHoldsAll = true;
    for (const g of q.groups) {
      const held = g.length === 1 ? 0 : g.findIndex((p) => coversAll(p, g));
      if (held < 0) everyMatchHoldsAll = false;
      g.forEach((p, k) => {
        const bound = (K1 + 1) * stats.idf[at + k]! * (1 + 1e-9);
        if (g.length === 1 || k === held) base += bound;
        else lists.push({ rowids: rowidsOf(db, tid, p.fts), bound });
      });
      at += g.length;
    }
    // One word and nothing excluded: the match is the union of its phrases' documents.
    let matches: Float64Array;
    if (q.groups.length === 1 && !everyMatchHoldsAll && q.text.mustNot.length === 0) {
      matches = unionOf(lists.map((l) => l.rowids));
      rememberMatch(db, tid, q.match, matches);
    } else matches = matchRowids(db, tid, q.match);
    // The tier, when its documents were too many to read, or wait for this round: only they can gain it.
    if (tierRowids === null)
      lists.push({ rowids: rowidsOf(db, tid, q.tier!.match), bound: q.tier!.boost + 1e-6 });
    else if (deferred.length && tierRowids.length)
      lists.push({ rowids: Float64Array.from(tierRowids).sort(), bound: q.tier!.boost + 1e-6 });
    const found = reachingMatches(db, {
      tid,
      matches,
      base,
      lists,
      need: last,
      scored: seen,
      cap: q.popularCap ?? POPULAR_CAP,
      lookups: LOOKUPS,
    });
    if (!found) return null;
    if (found.length > SCORE_HERE_AT || found.length * (q.hereRowCost ?? HERE_ROW_COST) > matches.length)
      return finishAbove(Number.MAX_VALUE, found);
    score(fetchRows(passingOf(found)));
    return finish(pageOf([...scored.values()], q.after, want));
  };
  // Rows read whole that wait for this round: judged with the rest by their own bounds, or listed for FTS5's scan.
  if (deferred.length) return popularMatchesPage() ?? scan(deferred);
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
    .get(threshold, ...params, Math.max(hereAt, loaded) + 1) as number;
  // Too many to score here: the popular matches are met in memory or, when even that many documents are too
  // many, FTS5 scores the matches that popular in one scan of the match. The popularity condition is checked
  // before a row's score is computed, so the rest of the match costs its posting list and a rank lookup, not
  // bm25.
  if (abovePopular > hereAt && abovePopular > loaded) return popularMatchesPage() ?? scan([]);
  if (abovePopular > 0) score(popularRows(abovePopular).rows);
  return finish(pageOf([...scored.values()], q.after, want));
}

/**
 * Whether every document holding some phrase of `group` holds `p`: a one-word prefix phrase on every column that
 * each other alternative (one word, every column) begins with. (Only a saving: counting a phrase's bound for a
 * match that does not hold it loosens that match's bound, never lets a match out.)
 */
function coversAll(p: Phrase, group: Phrase[]): boolean {
  const [head] = p.clause.tokens;
  if (!p.clause.prefix || p.clause.tokens.length !== 1 || p.columns !== null || head === undefined)
    return false;
  return group.every(
    (o) =>
      o === p || (o.columns === null && o.clause.tokens.length === 1 && o.clause.tokens[0]!.startsWith(head)),
  );
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
