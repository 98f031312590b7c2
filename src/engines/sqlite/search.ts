import type Database from 'better-sqlite3';
import { filterWithoutField } from '../../query/facet-filter.js';
import type {
  FacetRequest,
  FacetResult,
  Filter,
  Hit,
  Scalar,
  SearchRequest,
  SearchResult,
  TextQuery,
} from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { column, docsTable, ftsTable, rankTable, searchableFields } from './ddl.js';
import { filterToSql } from './filter-sql.js';
import { highlightRows } from './highlight.js';
import { matchExpression } from './match.js';

/** FROM + WHERE shared by the hits query and every facet query of one search. */
interface Scope {
  from: string;
  where: string[];
  params: unknown[];
  /** Relevance from BM25 alone (0 without a text query). */
  textScore: string;
  match: string | null;
}

function scope(tid: number, schema: IndexSchema, text: TextQuery | null, filter: Filter | null): Scope {
  const d = docsTable(tid);
  const f = ftsTable(tid);
  const s: Scope = { from: `${d} d`, where: [], params: [], textScore: '0', match: null };
  if (text) {
    const { match, exclude } = matchExpression(text);
    if (match) {
      s.from = `${f} JOIN ${d} d ON d.rowid = ${f}.rowid`;
      s.match = exclude ? `(${match}) NOT (${exclude})` : match;
      s.where.push(`${f} MATCH ?`);
      s.params.push(s.match);
      const weights = searchableFields(schema).map((n) => schema.fields[n]!.boost);
      s.textScore = `(-bm25(${f}, ${weights.join(', ')}))`;
    } else if (exclude) {
      s.where.push(`d.rowid NOT IN (SELECT rowid FROM ${f} WHERE ${f} MATCH ?)`);
      s.params.push(exclude);
    }
  }
  if (filter) {
    const frag = filterToSql(filter, schema);
    s.where.push(frag.sql);
    s.params.push(...frag.params);
  }
  return s;
}

const whereSql = (s: Scope, extra: string[] = []) => {
  const all = [...s.where, ...extra];
  return all.length ? ` WHERE ${all.join(' AND ')}` : '';
};

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
): string {
  const parts = [textScore];
  const exact = schema.ranking.exact_match;
  if (exact && text && text.normalized) {
    for (const field of exact.fields) {
      const ids = db
        .prepare(`SELECT rowid AS r FROM ${docsTable(tid)} WHERE lower(${column(schema, field)}) = ?`)
        .all(text.normalized) as { r: number }[];
      if (ids.length)
        parts.push(
          `(CASE WHEN ${rowid} IN (${ids.map((x) => x.r).join(', ')}) THEN ${exact.boost} ELSE 0 END)`,
        );
    }
  }
  if (schema.ranking.popularity) parts.push('coalesce(r.b, 0)');
  return parts.join(' + ');
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

export function runSearch(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  req: SearchRequest,
): SearchResult {
  const s = scope(tid, schema, req.text, req.filter);
  const keys: SortKey[] = req.sort.map((c, i) =>
    c.field === '_score'
      ? { expr: 'score', order: c.order, nullable: false }
      : { expr: `s${i}`, order: c.order, nullable: true },
  );
  const relevanceOnly =
    s.match !== null &&
    !req.filter &&
    req.sort.length === 1 &&
    req.sort[0]!.field === '_score' &&
    req.sort[0]!.order === 'desc';
  const { rows, total: counted } = relevanceOnly
    ? topByRelevance(db, tid, schema, s, req)
    : sortedPage(db, tid, schema, s, req, keys);
  const total = counted ?? countOf(db, s);
  const withScore = req.sort.some((c) => c.field === '_score');

  const hits: Hit[] = rows.map((r) => {
    const src = JSON.parse(r.src as string) as Record<string, unknown>;
    const document: Record<string, unknown> = {};
    for (const f of req.fields) if (src[f] !== undefined) document[f] = src[f];
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
    const marks = highlightRows(
      db,
      tid,
      schema,
      s.match,
      rows.map((r) => r.rid as number),
      req.highlight,
    );
    hits.forEach((h, i) => {
      const m = marks.get(rows[i]!.rid as number);
      if (m && Object.keys(m).length) h.highlights = m;
    });
  }
  const facets: Record<string, FacetResult> = {};
  for (const facet of req.facets) facets[facet.field] = runFacet(db, tid, schema, req, facet);
  return { hits, total, total_relation: 'eq', facets, partial: false };
}

type Row = Record<string, unknown>;
const rankJoin = (schema: IndexSchema, tid: number, rowid: string) =>
  schema.ranking.popularity ? ` LEFT JOIN ${rankTable(tid)} r ON r.rowid = ${rowid}` : '';

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
): { rows: Row[]; total: number | null } {
  const score = scoreExpression(db, tid, schema, s.textScore, 'd.rowid', req.text);
  const sortCols = req.sort.flatMap((c, i) =>
    c.field === '_score' ? [] : [`d.${column(schema, c.field)} AS s${i}`],
  );
  const cte =
    `WITH m AS (SELECT d.rowid AS rid, d.id AS id, d.src AS src, ${score} AS score` +
    `${sortCols.length ? ', ' + sortCols.join(', ') : ''} FROM ${s.from}${rankJoin(schema, tid, 'd.rowid')}${whereSql(s)})`;
  if (req.after) {
    const after = afterCondition(keys, req.after.values, req.after.id);
    const rows = db
      .prepare(`${cte} SELECT * FROM m WHERE ${after.sql} ORDER BY ${orderBy(keys)} LIMIT ?`)
      .all(...s.params, ...after.params, req.size) as Row[];
    return { rows, total: null };
  }
  if (req.size === 0) return { rows: [], total: null };
  const rows = db
    .prepare(`${cte} SELECT *, count(*) OVER () AS total FROM m ORDER BY ${orderBy(keys)} LIMIT ? OFFSET ?`)
    .all(...s.params, req.size, req.from) as Row[];
  return { rows, total: rows.length ? (rows[0]!.total as number) : null };
}

/**
 * The common case, a text query ranked by relevance with no filter, without touching the wide documents table
 * for every match: score all matches from the FTS index and the rank table, find the score of the last hit of
 * the page, and join documents only for hits at or above it (ties included, so the id tie-break stays exact).
 */
function topByRelevance(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  s: Scope,
  req: SearchRequest,
): { rows: Row[]; total: number | null } {
  const f = ftsTable(tid);
  const score = scoreExpression(db, tid, schema, s.textScore, `${f}.rowid`, req.text);
  const cte = `WITH m AS MATERIALIZED (SELECT ${f}.rowid AS rid, ${score} AS score FROM ${f}${rankJoin(schema, tid, `${f}.rowid`)} WHERE ${f} MATCH ?)`;
  if (req.size === 0) return { rows: [], total: null };
  const after = req.after;
  const last = after ? (after.values[0] as number) : null;
  // Scores strictly below the cursor's compete for the page; the cursor's own score is settled by id.
  const cut = after
    ? `(SELECT score FROM m WHERE score < ? ORDER BY score DESC LIMIT 1 OFFSET ?)`
    : `(SELECT score FROM m ORDER BY score DESC LIMIT 1 OFFSET ?)`;
  const cutParams = after ? [last, req.size - 1] : [req.from + req.size - 1];
  const afterSql = after ? ` AND (m.score < ? OR (m.score = ? AND d.id > ?))` : '';
  const afterParams = after ? [last, last, after.id] : [];
  const rows = db
    .prepare(
      `${cte} SELECT m.rid AS rid, d.id AS id, d.src AS src, m.score AS score, (SELECT count(*) FROM m) AS total FROM m JOIN ${docsTable(tid)} d ON d.rowid = m.rid ` +
        `WHERE m.score >= coalesce(${cut}, -1e308)${afterSql} ORDER BY m.score DESC, d.id ASC LIMIT ? OFFSET ?`,
    )
    .all(s.match, ...cutParams, ...afterParams, req.size, after ? 0 : req.from) as Row[];
  return { rows, total: rows.length ? (rows[0]!.total as number) : null };
}

function countOf(db: Database.Database, s: Scope): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${s.from}${whereSql(s)}`).get(...s.params) as { n: number })
    .n;
}

function runFacet(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  req: SearchRequest,
  facet: FacetRequest,
): FacetResult {
  const s = scope(tid, schema, req.text, filterWithoutField(req.filter, facet.field));
  const spec = schema.fields[facet.field]!;
  const col = `d.${column(schema, facet.field)}`;
  const out: FacetResult = {};
  if (!facet.ranges && !facet.stats) {
    const rows = db
      .prepare(
        `SELECT ${col} AS value, count(*) AS n FROM ${s.from}${whereSql(s, [`${col} IS NOT NULL`])} ` +
          `GROUP BY ${col} ORDER BY n DESC, value ASC LIMIT ?`,
      )
      .all(...s.params, facet.size) as { value: Scalar; n: number }[];
    out.buckets = rows.map((r) => ({ value: spec.type === 'boolean' ? r.value === 1 : r.value, count: r.n }));
    return out;
  }
  if (facet.ranges) {
    const bounds: unknown[] = [];
    const sums = facet.ranges.map((r) => {
      const conds = [`${col} IS NOT NULL`];
      if (r.from !== undefined) {
        conds.push(`${col} >= ?`);
        bounds.push(r.from);
      }
      if (r.to !== undefined) {
        conds.push(`${col} < ?`);
        bounds.push(r.to);
      }
      return `coalesce(sum(CASE WHEN ${conds.join(' AND ')} THEN 1 ELSE 0 END), 0)`;
    });
    const row = db
      .prepare(`SELECT ${sums.map((x, i) => `${x} AS r${i}`).join(', ')} FROM ${s.from}${whereSql(s)}`)
      .get(...bounds, ...s.params) as Record<string, number>;
    out.ranges = facet.ranges.map((r, i) => ({
      key: r.key ?? `${r.from ?? '*'}-${r.to ?? '*'}`,
      ...(r.from !== undefined ? { from: r.from } : {}),
      ...(r.to !== undefined ? { to: r.to } : {}),
      count: row[`r${i}`] ?? 0,
    }));
  }
  if (facet.stats) {
    const row = db
      .prepare(
        `SELECT min(${col}) AS min, max(${col}) AS max, avg(${col}) AS avg, sum(${col}) AS sum, count(${col}) AS count FROM ${s.from}${whereSql(s)}`,
      )
      .get(...s.params) as {
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
