import type Database from 'better-sqlite3';
import { rangeBuckets } from '../../query/range-buckets.js';
import { filterWithoutField } from '../../query/facet-filter.js';
import type {
  DistinctRequest,
  FacetRequest,
  FacetResult,
  Filter,
  Hit,
  Scalar,
  SearchRequest,
  SearchResult,
  TextQuery,
} from '../../query/types.js';
import { project } from '../../schema/paths.js';
import type { IndexSchema } from '../../schema/types.js';
import {
  column,
  docsTable,
  ftsTable,
  isList,
  listTable,
  rankTable,
  searchableFields,
  wordsAsTokenized,
} from './ddl.js';
import { filterToSql } from './filter-sql.js';
import { countFacets, rangeCondition } from './facets.js';
import { highlightRows } from './highlight.js';
import { mergedPrefixes, pageHighlightMatch } from './highlight-match.js';
import { BROAD_MATCHES, knownBroad, popularFirst, TIE_PAD } from './popular-first.js';
import { clausePhrases } from './match.js';
import { typoMatch } from './typo.js';
import { searchedFields } from '../../query/search-fields.js';
import { CORRECTED_NAME_SHARE, EXACT_TIER } from '../../query/relevance.js';
import { facetPrefixMatcher } from '../../query/facet-prefix.js';
import { cached } from './statements.js';

/** FROM + WHERE shared by the hits query and every facet query of one search. */
interface Scope {
  from: string;
  where: string[];
  params: unknown[];
  /** Relevance from BM25 alone (0 without a text query). */
  textScore: string;
  match: string | null;
}

function scope(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  text: TextQuery | null,
  filter: Filter | null,
): Scope {
  const d = docsTable(tid);
  const f = ftsTable(tid);
  const s: Scope = { from: `${d} d`, where: [], params: [], textScore: '0', match: null };
  if (text) {
    const { match, exclude } = typoMatch(db, tid, schema, text);
    if (match) {
      s.from = `${f} JOIN ${d} d ON d.rowid = ${f}.rowid`;
      s.match = exclude ? `(${match}) NOT (${exclude})` : match;
      s.where.push(`${f} MATCH ?`);
      s.params.push(s.match);
      // Fields the request leaves out weigh nothing (the MATCH already looks only at the chosen ones).
      const chosen = new Map(searchedFields(schema, text.fields).map((f) => [f.field, f.boost]));
      const weights = searchableFields(schema).map((n) => chosen.get(n) ?? 0);
      s.textScore = `(-bm25(${f}, ${weights.join(', ')}))`;
    } else if (exclude) {
      s.where.push(`d.rowid NOT IN (SELECT rowid FROM ${f} WHERE ${f} MATCH ?)`);
      s.params.push(exclude);
    }
  }
  if (filter) {
    const frag = filterToSql(filter, schema, tid);
    s.where.push(frag.sql);
    s.params.push(...frag.params);
  }
  return s;
}

const whereSql = (s: Scope, extra: string[] = []) => {
  const all = [...s.where, ...extra];
  return all.length ? ` WHERE ${all.join(' AND ')}` : '';
};

/** A score expression and the named parameters it needs. */
interface Score {
  sql: string;
  named: Record<string, string>;
  /** Its exact-name bonuses in the order it adds them: the bonus and the rowids that get it. */
  exactNames: { boost: number; rowids: number[] }[];
}

/**
 * The ranking: BM25 with per-field boosts, plus an exact-match bonus on name-like fields and a log-scaled
 * popularity signal, both declared in the schema. The exact matches are looked up first through an index on the
 * lower-cased value, so scoring compares rowids instead of lower-casing every match; popularity comes from the
 * narrow rank table `r` (joined by the caller).
 */
function scoreExpression(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  textScore: string,
  rowid: string,
  text: TextQuery | null,
): Score {
  const parts = [textScore];
  const named: Record<string, string> = {};
  const exactNames: Score['exactNames'] = [];
  // Typo corrections (memoized per query by typoMatch): hits of the query as typed rank first.
  const typo = text ? typoMatch(db, tid, schema, text) : null;
  if (typo?.exact) {
    named.exact_text = typo.exact;
    parts.push(
      `(CASE WHEN ${rowid} IN (SELECT rowid FROM ${ftsTable(tid)} WHERE ${ftsTable(tid)} MATCH @exact_text) THEN ${EXACT_TIER} ELSE 0 END)`,
    );
  }
  const exact = schema.ranking.exact_match;
  if (exact && text && text.normalized) {
    exact.fields.forEach((field, i) => {
      const lookup = cached(
        db,
        `SELECT rowid AS r FROM ${docsTable(tid)} WHERE lower(${column(schema, field)}) = ?`,
      );
      // A one-word query's corrections name packages too ("fkaer" -> faker), worth half the boost of the name
      // as typed, so that one still ranks first.
      const boosts: [string[], number][] = [
        [[text.normalized], exact.boost],
        [typo?.names ?? [], exact.boost * CORRECTED_NAME_SHARE],
      ];
      boosts.forEach(([names, boost], k) => {
        const ids = names.flatMap((n) => lookup.all(n) as { r: number }[]);
        if (!ids.length) return;
        // The rowids travel as a parameter, so the statement text (and its prepared plan) is shared by all queries.
        named[`exact${i}_${k}`] = JSON.stringify(ids.map((x) => x.r));
        exactNames.push({ boost, rowids: ids.map((x) => x.r) });
        parts.push(
          `(CASE WHEN ${rowid} IN (SELECT value FROM json_each(@exact${i}_${k})) THEN ${boost} ELSE 0 END)`,
        );
      });
    });
  }
  if (schema.ranking.popularity) parts.push('coalesce(r.b, 0)');
  return { sql: parts.join(' + '), named, exactNames };
}

/** Sort keys as expressions over the CTE `m`, nulls last in both directions like Elasticsearch. */
interface SortKey {
  expr: string;
  order: 'asc' | 'desc';
  nullable: boolean;
}

function orderBy(keys: SortKey[]): string {
  const parts: string[] = [];
  for (const k of keys) {
    if (k.nullable) parts.push(`(${k.expr} IS NULL)`);
    parts.push(`${k.expr} ${k.order.toUpperCase()}`);
  }
  parts.push('id ASC');
  return parts.join(', ');
}

/** Keyset condition "strictly after (values, id)" in the sort order, for cursors. */
function afterCondition(
  keys: SortKey[],
  values: (Scalar | null)[],
  id: string,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const build = (i: number): string => {
    if (i === keys.length) {
      params.push(id);
      return 'id > ?';
    }
    const k = keys[i]!;
    const v = values[i];
    if (v === null || v === undefined) {
      // Nulls sort last: after a null only other nulls remain, ordered by the next keys.
      return `(${k.expr} IS NULL AND ${build(i + 1)})`;
    }
    const bound = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    const cmp = k.order === 'asc' ? '>' : '<';
    params.push(bound);
    const beyond = k.nullable ? `(${k.expr} ${cmp} ? OR ${k.expr} IS NULL)` : `${k.expr} ${cmp} ?`;
    params.push(bound);
    return `(${beyond} OR (${k.expr} = ? AND ${build(i + 1)}))`;
  };
  return { sql: build(0), params };
}

/** One search, all its statements in one read transaction so the page, the total and the facets agree. */
export function runSearch(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  req: SearchRequest,
): SearchResult {
  return db.transaction(() => searchInSnapshot(db, tid, schema, req))();
}

function searchInSnapshot(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  req: SearchRequest,
): SearchResult {
  const s = scope(db, tid, schema, req.text, req.filter);
  const keys: SortKey[] = req.sort.map((c, i) =>
    c.field === '_score'
      ? { expr: 'score', order: c.order, nullable: false }
      : { expr: `s${i}`, order: c.order, nullable: true },
  );
  const byRelevance =
    s.match !== null &&
    req.sort.length === 1 &&
    req.sort[0]!.field === '_score' &&
    req.sort[0]!.order === 'desc';
  const rows = req.distinct
    ? distinctPage(db, tid, schema, s, req, keys, req.distinct)
    : ((byRelevance ? broadPage(db, tid, schema, s, req) : null) ??
      (byRelevance && !req.filter
        ? topByRelevance(db, tid, schema, s, req)
        : sortedPage(db, tid, schema, s, req, keys)));
  const { total, relation } = req.distinct
    ? groupsOf(db, schema, s, req, req.distinct)
    : totalOf(db, tid, s, req, rows.length);
  const withScore = req.sort.some((c) => c.field === '_score');

  const hits: Hit[] = rows.map((r) => {
    const src = JSON.parse(r.src as string) as Record<string, unknown>;
    // Paths into objects come back in their nested shape (`author.name` as {"author": {"name": ...}}).
    const document = project(src, req.fields);
    return {
      id: r.id as string,
      score: withScore ? (r.score as number) : null,
      document,
      sortValues: keys.map((k) =>
        k.expr === 'score' ? (r.score as number) : ((r[k.expr] as Scalar | null) ?? null),
      ),
    };
  });
  if (req.highlight && s.match && hits.length) {
    const rowids = rows.map((r) => r.rid as number);
    const match = pageHighlightMatch(db, tid, schema, s.match, mergedPrefixes(req.text?.must ?? []), rowids);
    // Without the page's own words, one pass over the match beats merging a prefix's postings per row.
    const marks = highlightRows(db, tid, schema, match ?? s.match, rowids, req.highlight, match === null);
    hits.forEach((h, i) => {
      const m = marks.get(rows[i]!.rid as number);
      if (m && Object.keys(m).length) h.highlights = m;
    });
  }
  const facets: Record<string, FacetResult> = {};
  if (req.facets.length) {
    // Nothing matches the text at all: every facet is empty, whatever filters it drops, without a query each.
    const nothing = total === 0 && s.match !== null && !textMatchesAny(db, tid, s.match);
    if (nothing) for (const facet of req.facets) facets[facet.field] = emptyFacet(facet);
    else {
      // A facet value search (a prefix) is counted on its own, over the same matches.
      const counted = countFacets(
        db,
        tid,
        schema,
        { ...req, facets: req.facets.filter((f) => f.prefix === undefined) },
        {
          scopeFor: (filter) => scope(db, tid, schema, req.text, filter),
          fallback: (facet) => runFacet(db, tid, schema, req, facet),
        },
      );
      for (const facet of req.facets)
        facets[facet.field] =
          facet.prefix === undefined ? counted[facet.field]! : runFacet(db, tid, schema, req, facet);
    }
  }
  return { hits, total, total_relation: relation, facets, partial: false };
}

type Row = Record<string, unknown>;

const rankJoin = (schema: IndexSchema, tid: number, rowid: string) =>
  schema.ranking.popularity ? ` LEFT JOIN ${rankTable(tid)} r ON r.rowid = ${rowid}` : '';

/**
 * The total, counted only as far as the request asks. A page that ends early already is the total (no count);
 * otherwise matches are counted up to the bound plus one, so a word matching half the corpus stops at the bound.
 */
function totalOf(
  db: Database.Database,
  tid: number,
  s: Scope,
  req: SearchRequest,
  pageRows: number,
): { total: number; relation: 'eq' | 'gte' } {
  const bound = req.trackTotal === true ? null : req.trackTotal;
  if (!req.after && pageRows < req.size && (pageRows > 0 || req.from === 0)) {
    const n = req.from + pageRows;
    return bound !== null && n > bound ? { total: bound, relation: 'gte' } : { total: n, relation: 'eq' };
  }
  // A broad match (counted when its page was read) is past a smaller bound: no count, no posting-list scan.
  if (bound !== null && bound < BROAD_MATCHES && s.match !== null && s.where.length === 1) {
    if (knownBroad(db, tid, s.match)) return { total: bound, relation: 'gte' };
  }
  // Without a filter every match has its document: the text index alone is counted.
  const from = s.match !== null && s.where.length === 1 ? ftsTable(tid) : s.from;
  const inner = `SELECT 1 FROM ${from}${whereSql(s)}${bound === null ? '' : ' LIMIT ?'}`;
  const n = (
    cached(db, `SELECT count(*) AS n FROM (${inner})`).get(
      ...s.params,
      ...(bound === null ? [] : [bound + 1]),
    ) as { n: number }
  ).n;
  return bound !== null && n > bound ? { total: bound, relation: 'gte' } : { total: n, relation: 'eq' };
}

function textMatchesAny(db: Database.Database, tid: number, match: string): boolean {
  const f = ftsTable(tid);
  return cached(db, `SELECT 1 FROM ${f} WHERE ${f} MATCH ? LIMIT 1`).get(match) !== undefined;
}

function emptyFacet(facet: FacetRequest): FacetResult {
  const out: FacetResult = {};
  if (!facet.ranges && !facet.stats) out.buckets = [];
  if (facet.ranges) out.ranges = rangeBuckets(facet.ranges, () => 0);
  if (facet.stats) out.stats = { min: null, max: null, avg: null, sum: null, count: 0 };
  return out;
}

/**
 * Any sort, any filter: score and sort keys for every match in a CTE, then the page by keyset or offset.
 */
function sortedPage(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  s: Scope,
  req: SearchRequest,
  keys: SortKey[],
): Row[] {
  if (req.size === 0) return [];
  const score = scoreExpression(db, tid, schema, s.textScore, 'd.rowid', req.text);
  const sortCols = req.sort.flatMap((c, i) =>
    c.field === '_score' ? [] : [`${sortValue(tid, schema, c.field, c.order)} AS s${i}`],
  );
  const cte =
    `WITH m AS (SELECT d.rowid AS rid, d.id AS id, d.src AS src, ${score.sql} AS score` +
    `${sortCols.length ? ', ' + sortCols.join(', ') : ''} FROM ${s.from}${rankJoin(schema, tid, 'd.rowid')}${whereSql(s)})`;
  if (req.after) {
    const after = afterCondition(keys, req.after.values, req.after.id);
    return cached(db, `${cte} SELECT * FROM m WHERE ${after.sql} ORDER BY ${orderBy(keys)} LIMIT ?`).all(
      score.named,
      ...s.params,
      ...after.params,
      req.size,
    ) as Row[];
  }
  return cached(db, `${cte} SELECT * FROM m ORDER BY ${orderBy(keys)} LIMIT ? OFFSET ?`).all(
    score.named,
    ...s.params,
    req.size,
    req.from,
  ) as Row[];
}

/**
 * A page of groups (distinct): every match numbered within its group in the sort order, the groups ordered by
 * their first hit, and the page's groups with their first `limit` hits each, group after group. Documents without
 * the field are one group (window partitions and `IS` treat NULLs as equal).
 */
function distinctPage(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  s: Scope,
  req: SearchRequest,
  keys: SortKey[],
  distinct: DistinctRequest,
): Row[] {
  if (req.size === 0) return [];
  const score = scoreExpression(db, tid, schema, s.textScore, 'd.rowid', req.text);
  const sortCols = req.sort.flatMap((c, i) =>
    c.field === '_score' ? [] : [`${sortValue(tid, schema, c.field, c.order)} AS s${i}`],
  );
  const order = orderBy(keys);
  const sql =
    `WITH m AS (SELECT d.rowid AS rid, d.id AS id, d.src AS src, ${score.sql} AS score, ` +
    `d.${column(schema, distinct.field)} AS g${sortCols.length ? ', ' + sortCols.join(', ') : ''} ` +
    `FROM ${s.from}${rankJoin(schema, tid, 'd.rowid')}${whereSql(s)}), ` +
    `n AS (SELECT *, row_number() OVER (PARTITION BY g ORDER BY ${order}) AS rn FROM m), ` +
    `heads AS (SELECT g, row_number() OVER (ORDER BY ${order}) AS grank FROM n WHERE rn = 1 ` +
    `ORDER BY grank LIMIT ? OFFSET ?) ` +
    `SELECT n.* FROM heads JOIN n ON n.g IS heads.g AND n.rn <= ? ORDER BY heads.grank, n.rn`;
  return cached(db, sql).all(score.named, ...s.params, req.size, req.from, distinct.limit) as Row[];
}

/** The number of groups the search matches (distinct), exact up to the request's bound. */
function groupsOf(
  db: Database.Database,
  schema: IndexSchema,
  s: Scope,
  req: SearchRequest,
  distinct: DistinctRequest,
): { total: number; relation: 'eq' | 'gte' } {
  const bound = req.trackTotal === true ? null : req.trackTotal;
  const inner =
    `SELECT 1 FROM ${s.from}${whereSql(s)} GROUP BY d.${column(schema, distinct.field)}` +
    (bound === null ? '' : ' LIMIT ?');
  const n = cached(db, `SELECT count(*) FROM (${inner})`)
    .pluck()
    .get(...s.params, ...(bound === null ? [] : [bound + 1])) as number;
  return bound !== null && n > bound ? { total: bound, relation: 'gte' } : { total: n, relation: 'eq' };
}

/**
 * A field's value for sorting. A list sorts by its smallest value ascending and its largest descending, as the
 * clusters sort a multi-valued field by default (`mode` min for asc, max for desc).
 */
function sortValue(tid: number, schema: IndexSchema, field: string, order: 'asc' | 'desc'): string {
  const col = `d.${column(schema, field)}`;
  if (!isList(schema, field)) return col;
  // The list table's key (rowid, field, value) hands over the smallest or largest value directly.
  return `(SELECT ${order === 'asc' ? 'min' : 'max'}(v) FROM ${listTable(tid)} WHERE rowid = d.rowid AND f = '${field}')`;
}

/** Ids compare as SQLite's BINARY collation does (UTF-8 bytes), not as JavaScript's UTF-16 units. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The common case, a text query ranked by relevance with no filter. The best `from + size + TIE_PAD` matches
 * by score are read from the FTS index and the rank table alone (SQLite keeps only that many while it scores),
 * then only those rows are joined to the documents for their ids, and the page is ordered by score and id. The
 * id tie-break is exact as long as every match scoring at least the page's last score is among the candidates;
 * when ties run past them, the page is computed again with a score cut that includes every tie.
 */
function topByRelevance(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  s: Scope,
  req: SearchRequest,
): Row[] {
  if (req.size === 0) return [];
  const f = ftsTable(tid);
  const d = docsTable(tid);
  const score = scoreExpression(db, tid, schema, s.textScore, `${f}.rowid`, req.text);
  const narrow = `SELECT ${f}.rowid AS rid, ${score.sql} AS score FROM ${f}${rankJoin(schema, tid, `${f}.rowid`)} WHERE ${f} MATCH ?`;
  const after = req.after;
  const last = after ? (after.values[0] as number) : null;
  const skip = after ? 0 : req.from;
  const want = skip + req.size;
  const limit = want + TIE_PAD;
  const candidates = cached(
    db,
    `SELECT rid, score FROM (${narrow})${after ? ' WHERE score <= ?' : ''} ORDER BY score DESC LIMIT ?`,
  ).all(score.named, s.match, ...(after ? [last] : []), limit) as { rid: number; score: number }[];
  const docs = cached(db, `SELECT rowid AS rid, id, src FROM ${d} WHERE rowid = ?`);
  const rows: Row[] = candidates.map((c) => ({ ...(docs.get(c.rid) as Row), score: c.score }));
  const eligible = after
    ? rows.filter((r) => (r.score as number) < last! || byteOrder(r.id as string, after.id) > 0)
    : rows;
  eligible.sort(
    (a, b) => (b.score as number) - (a.score as number) || byteOrder(a.id as string, b.id as string),
  );
  const complete =
    candidates.length < limit ||
    (eligible.length >= want && candidates.at(-1)!.score < (eligible[want - 1]!.score as number));
  if (complete) return eligible.slice(skip, want);
  return topByRelevanceWithTies(db, tid, schema, s, req, score);
}

/**
 * A broad text query ranked by relevance, with or without a filter: the most popular documents are read first
 * and the work stops once the page is settled (popular-first.ts). Null when that plan does not apply.
 */
function broadPage(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  s: Scope,
  req: SearchRequest,
): Row[] | null {
  // The bound is computed over Sift's own tokens, which a stemming index does not hold.
  if (!schema.ranking.popularity || !req.text || s.match === null || !wordsAsTokenized(schema)) return null;
  // The phrases of the MATCH (each word with its synonyms and corrections), when it is written as such groups.
  const groups = typoMatch(db, tid, schema, req.text).groups;
  if (!groups) return null;
  const f = ftsTable(tid);
  const score = scoreExpression(db, tid, schema, s.textScore, `${f}.rowid`, req.text);
  // The whole-word tier (typoMatch's `exact`): every word as typed, whole, or one of its synonyms.
  const tier =
    score.named.exact_text === undefined
      ? null
      : {
          boost: EXACT_TIER,
          groups: req.text.must.map((c) => clausePhrases({ ...c, prefix: false })),
          match: score.named.exact_text,
        };
  // The scope's first condition is the MATCH; the rest is the filter.
  const filter =
    s.where.length > 1 ? { sql: s.where.slice(1).join(' AND '), params: s.params.slice(1) } : null;
  const searchable = searchableFields(schema);
  return popularFirst(db, {
    tid,
    match: s.match,
    groups,
    text: req.text,
    tier,
    columns: searchable.map((n) => column(schema, n)),
    weights: searchable.map((n) => schema.fields[n]!.boost),
    fts5Score: score,
    exact: score.exactNames,
    filter,
    after: req.after ? { score: req.after.values[0] as number, id: req.after.id } : null,
    skip: req.after ? 0 : req.from,
    size: req.size,
  });
}

/** The exact fallback: every match scoring at least the page's last score is joined and ordered by id. */
function topByRelevanceWithTies(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  s: Scope,
  req: SearchRequest,
  score: Score,
): Row[] {
  const f = ftsTable(tid);
  const cte = `WITH m AS MATERIALIZED (SELECT ${f}.rowid AS rid, ${score.sql} AS score FROM ${f}${rankJoin(schema, tid, `${f}.rowid`)} WHERE ${f} MATCH ?)`;
  const after = req.after;
  const last = after ? (after.values[0] as number) : null;
  // Scores strictly below the cursor's compete for the page; the cursor's own score is settled by id.
  const cut = after
    ? `(SELECT score FROM m WHERE score < ? ORDER BY score DESC LIMIT 1 OFFSET ?)`
    : `(SELECT score FROM m ORDER BY score DESC LIMIT 1 OFFSET ?)`;
  const cutParams = after ? [last, req.size - 1] : [req.from + req.size - 1];
  const afterSql = after ? ` AND (m.score < ? OR (m.score = ? AND d.id > ?))` : '';
  const afterParams = after ? [last, last, after.id] : [];
  return cached(
    db,
    `${cte} SELECT m.rid AS rid, d.id AS id, d.src AS src, m.score AS score FROM m JOIN ${docsTable(tid)} d ON d.rowid = m.rid ` +
      `WHERE m.score >= coalesce(${cut}, -1e308)${afterSql} ORDER BY m.score DESC, d.id ASC LIMIT ? OFFSET ?`,
  ).all(score.named, s.match, ...cutParams, ...afterParams, req.size, after ? 0 : req.from) as Row[];
}

/**
 * The LIKE parameter of a facet value search (none without a prefix): the prefix, wildcards escaped, then `%`.
 * With typos, only the first character is certain: every value starting with it is counted, and `withinTypos`
 * keeps those the shared matcher accepts.
 */
const likePrefix = ({ prefix, typos }: FacetRequest): string[] => {
  if (prefix === undefined) return [];
  const certain = typos ? String.fromCodePoint(prefix.codePointAt(0)!) : prefix;
  return [`${certain.replace(/[\\%_]/g, (c) => `\\${c}`)}%`];
};

/** The LIMIT of a facet's buckets: all of them when the matcher still has to choose (-1: no limit). */
const bucketLimit = (facet: FacetRequest): number => (facet.typos ? -1 : facet.size);

/** A typo-tolerant facet value search's buckets: the values within its typos, in their order, up to its size. */
function withinTypos<R extends { value: Scalar }>(rows: R[], facet: FacetRequest): R[] {
  if (!facet.typos) return rows;
  const matches = facetPrefixMatcher(facet.prefix!, facet.typos);
  return rows.filter((r) => matches(String(r.value))).slice(0, facet.size);
}

/**
 * A list's facet without a text match, from the list table: its (field, value) index is grouped, and only the
 * matching documents' rows are read when there is a filter. A document counts once per value (the rows are
 * distinct) and once per range (count of distinct documents); stats take every value.
 */
function listFacet(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  facet: FacetRequest,
  s: Scope,
): FacetResult {
  const a = listTable(tid);
  const within = s.where.length ? ` AND a.rowid IN (SELECT d.rowid FROM ${s.from}${whereSql(s)})` : '';
  const where = `WHERE a.f = '${facet.field}'${within}`;
  const out: FacetResult = {};
  if (!facet.ranges && !facet.stats) {
    // Facet value search: as in runFacet, LIKE with its wildcards escaped.
    const prefix = facet.prefix === undefined ? '' : ` AND a.v LIKE ? ESCAPE '\\'`;
    const rows = cached(
      db,
      `SELECT a.v AS value, count(*) AS n FROM ${a} a ${where}${prefix} GROUP BY a.v ORDER BY n DESC, value ASC LIMIT ?`,
    ).all(...s.params, ...likePrefix(facet), bucketLimit(facet)) as { value: Scalar; n: number }[];
    const boolean = schema.fields[facet.field]!.type === 'boolean';
    out.buckets = withinTypos(rows, facet).map((r) => ({
      value: boolean ? r.value === 1 : r.value,
      count: r.n,
    }));
    return out;
  }
  if (facet.ranges) {
    const bounds: unknown[] = [];
    const counts = facet.ranges.map(
      (r, i) => `count(DISTINCT CASE WHEN ${rangeCondition('a.v', r, bounds)} THEN a.rowid END) AS r${i}`,
    );
    const row = cached(db, `SELECT ${counts.join(', ')} FROM ${a} a ${where}`).get(
      ...bounds,
      ...s.params,
    ) as Record<string, number>;
    out.ranges = rangeBuckets(facet.ranges, (i) => row[`r${i}`] ?? 0);
  }
  if (facet.stats) {
    out.stats = cached(
      db,
      `SELECT min(a.v) AS min, max(a.v) AS max, avg(a.v) AS avg, sum(a.v) AS sum, count(a.v) AS count FROM ${a} a ${where}`,
    ).get(...s.params) as NonNullable<FacetResult['stats']>;
  }
  return out;
}

function runFacet(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  req: SearchRequest,
  facet: FacetRequest,
): FacetResult {
  const s = scope(db, tid, schema, req.text, filterWithoutField(req.filter, facet.field));
  const spec = schema.fields[facet.field]!;
  if (isList(schema, facet.field) && spec.type !== 'text') return listFacet(db, tid, schema, facet, s);
  const list = isList(schema, facet.field);
  // A list's values are the JSON elements of its column (see facets.ts for what each part counts).
  const from = list ? `${s.from}, json_each(d.${column(schema, facet.field)}) j` : s.from;
  const col = list ? 'j.value' : `d.${column(schema, facet.field)}`;
  const out: FacetResult = {};
  if (!facet.ranges && !facet.stats) {
    // LIKE: ASCII letters in either case, like the clusters' prefix pattern; its wildcards escaped.
    const prefix = facet.prefix === undefined ? [] : [`${col} LIKE ? ESCAPE '\\'`];
    const rows = cached(
      db,
      `SELECT ${col} AS value, count(*) AS n FROM ${from}${whereSql(s, [`${col} IS NOT NULL`, ...prefix])} ` +
        `GROUP BY ${col} ORDER BY n DESC, value ASC LIMIT ?`,
    ).all(...s.params, ...likePrefix(facet), bucketLimit(facet)) as { value: Scalar; n: number }[];
    out.buckets = withinTypos(rows, facet).map((r) => ({
      value: spec.type === 'boolean' ? r.value === 1 : r.value,
      count: r.n,
    }));
    return out;
  }
  if (facet.ranges) {
    const bounds: unknown[] = [];
    const sums = facet.ranges.map((r) => {
      const within = rangeCondition(list ? 'value' : col, r, bounds);
      const cond = list
        ? `EXISTS (SELECT 1 FROM json_each(d.${column(schema, facet.field)}) WHERE ${within})`
        : within;
      return `coalesce(sum(CASE WHEN ${cond} THEN 1 ELSE 0 END), 0)`;
    });
    const row = cached(
      db,
      `SELECT ${sums.map((x, i) => `${x} AS r${i}`).join(', ')} FROM ${s.from}${whereSql(s)}`,
    ).get(...bounds, ...s.params) as Record<string, number>;
    out.ranges = rangeBuckets(facet.ranges, (i) => row[`r${i}`] ?? 0);
  }
  if (facet.stats) {
    const row = cached(
      db,
      `SELECT min(${col}) AS min, max(${col}) AS max, avg(${col}) AS avg, sum(${col}) AS sum, count(${col}) AS count FROM ${from}${whereSql(s)}`,
    ).get(...s.params) as {
      min: number | null;
      max: number | null;
      avg: number | null;
      sum: number | null;
      count: number;
    };
    out.stats = row;
  }
  return out;
}
