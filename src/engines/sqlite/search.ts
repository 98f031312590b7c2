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
import { column, docsTable, ftsTable, searchableFields } from './ddl.js';
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
 * popularity signal, both declared in the schema. Returns the SQL and its parameters.
 */
function scoreExpression(s: Scope, schema: IndexSchema, text: TextQuery | null): { sql: string; params: unknown[] } {
  const parts = [s.textScore];
  const params: unknown[] = [];
  const exact = schema.ranking.exact_match;
  if (exact && text && text.normalized) {
    for (const field of exact.fields) {
      parts.push(`(CASE WHEN lower(d.${column(schema, field)}) = ? THEN ${exact.boost} ELSE 0 END)`);
      params.push(text.normalized);
    }
  }
  const pop = schema.ranking.popularity;
  if (pop) parts.push(`(${pop.weight} * ln(1 + max(coalesce(d.${column(schema, pop.field)}, 0), 0)))`);
  return { sql: parts.join(' + '), params };
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
function afterCondition(keys: SortKey[], values: (Scalar | null)[], id: string): { sql: string; params: unknown[] } {
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

export function runSearch(db: Database.Database, tid: number, schema: IndexSchema, req: SearchRequest): SearchResult {
  const s = scope(tid, schema, req.text, req.filter);
  const score = scoreExpression(s, schema, req.text);
  const sortCols: string[] = [];
  const keys: SortKey[] = req.sort.map((c, i) => {
    if (c.field === '_score') return { expr: 'score', order: c.order, nullable: false };
    sortCols.push(`d.${column(schema, c.field)} AS s${i}`);
    return { expr: `s${i}`, order: c.order, nullable: true };
  });
  const withScore = req.sort.some((c) => c.field === '_score');
  const cte =
    `WITH m AS (SELECT d.rowid AS rid, d.id AS id, d.src AS src, ${score.sql} AS score` +
    `${sortCols.length ? ', ' + sortCols.join(', ') : ''} FROM ${s.from}${whereSql(s)})`;
  const cteParams = [...score.params, ...s.params];

  let rows: Record<string, unknown>[];
  let total: number | null = null;
  if (req.after) {
    const after = afterCondition(keys, req.after.values, req.after.id);
    rows = db
      .prepare(`${cte} SELECT * FROM m WHERE ${after.sql} ORDER BY ${orderBy(keys)} LIMIT ?`)
      .all(...cteParams, ...after.params, req.size) as Record<string, unknown>[];
  } else if (req.size > 0) {
    rows = db
      .prepare(`${cte} SELECT *, count(*) OVER () AS total FROM m ORDER BY ${orderBy(keys)} LIMIT ? OFFSET ?`)
      .all(...cteParams, req.size, req.from) as Record<string, unknown>[];
    if (rows.length) total = rows[0]!.total as number;
  } else {
    rows = [];
  }
  if (total === null) total = countOf(db, s);

  const hits: Hit[] = rows.map((r) => {
    const src = JSON.parse(r.src as string) as Record<string, unknown>;
    const document: Record<string, unknown> = {};
    for (const f of req.fields) if (src[f] !== undefined) document[f] = src[f];
    return {
      id: r.id as string,
      score: withScore ? (r.score as number) : null,
      document,
      sortValues: keys.map((k) => (k.expr === 'score' ? (r.score as number) : ((r[k.expr] as Scalar | null) ?? null))),
    };
  });
  if (req.highlight && s.match && hits.length) {
    const marks = highlightRows(db, tid, schema, s.match, rows.map((r) => r.rid as number), req.highlight);
    hits.forEach((h, i) => {
      const m = marks.get(rows[i]!.rid as number);
      if (m && Object.keys(m).length) h.highlights = m;
    });
  }
  const facets: Record<string, FacetResult> = {};
  for (const facet of req.facets) facets[facet.field] = runFacet(db, tid, schema, req, facet);
  return { hits, total, total_relation: 'eq', facets, partial: false };
}

function countOf(db: Database.Database, s: Scope): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${s.from}${whereSql(s)}`).get(...s.params) as { n: number }).n;
}

function runFacet(db: Database.Database, tid: number, schema: IndexSchema, req: SearchRequest, facet: FacetRequest): FacetResult {
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
    out.ranges = facet.ranges.map((r, i) => ({ key: r.key ?? `${r.from ?? '*'}-${r.to ?? '*'}`, ...(r.from !== undefined ? { from: r.from } : {}), ...(r.to !== undefined ? { to: r.to } : {}), count: row[`r${i}`] ?? 0 }));
  }
  if (facet.stats) {
    const row = db
      .prepare(`SELECT min(${col}) AS min, max(${col}) AS max, avg(${col}) AS avg, sum(${col}) AS sum, count(${col}) AS count FROM ${s.from}${whereSql(s)}`)
      .get(...s.params) as { min: number | null; max: number | null; avg: number | null; sum: number | null; count: number };
    out.stats = row;
  }
  return out;
}
