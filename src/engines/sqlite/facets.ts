import type Database from 'better-sqlite3';
import { filterWithoutField } from '../../query/facet-filter.js';
import { rangeBuckets } from '../../query/range-buckets.js';
import type {
  FacetRequest,
  FacetResult,
  Filter,
  RangeBucketRequest,
  Scalar,
  SearchRequest,
} from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { column, facetTable, ftsTable, isList } from './ddl.js';
import {
  countable,
  integerStats,
  rangeCounts,
  tallies,
  topBuckets,
  RANGE,
  STATS,
  TERMS,
  type CountRow,
} from './facet-column-counts.js';
import { facetColumns } from './facet-columns.js';
import { matchRowids } from './popular-matches.js';
import { parseRowids } from './rowid-list.js';
import { cached, tableExists } from './statements.js';

/** What a search matches, as search.ts builds it: FROM + WHERE over the documents `d` and the text index. */
export interface MatchScope {
  from: string;
  where: string[];
  params: unknown[];
  match: string | null;
}

export interface FacetSources {
  /** The scope of the search with a facet's own conditions dropped (disjunctive facets). */
  scopeFor(filter: Filter | null): MatchScope;
  /** The count without the facet table: a query per facet over the documents table. */
  fallback(facet: FacetRequest): FacetResult;
}

/**
 * Every requested facet of a text search, counted from the facet table (facet-table DDL in ddl.ts): the matching
 * rowids are read once per distinct facet filter (usually once for all facets: only a facet whose own field is
 * filtered on sees another set), each row's facet values are looked up by rowid in the narrow table, and each
 * facet is a GROUP BY or an aggregate over that one materialized set. The documents table is read only when the
 * filter needs its columns. Searches without a text match keep the per-facet queries, which read the B-tree
 * index of the faceted column.
 */
export function countFacets(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  req: SearchRequest,
  src: FacetSources,
): Record<string, FacetResult> {
  const out: Record<string, FacetResult> = {};
  // The facet table is missing only in a database opened by a reader before the writer's migration ran.
  const narrow = tableExists(db, facetTable(tid));
  const groups = new Map<string, { filter: Filter | null; facets: FacetRequest[] }>();
  for (const facet of req.facets) {
    const filter = filterWithoutField(req.filter, facet.field);
    const key = JSON.stringify(filter);
    const g = groups.get(key);
    if (g) g.facets.push(facet);
    else groups.set(key, { filter, facets: [facet] });
  }
  for (const { filter, facets } of groups.values()) {
    const s = src.scopeFor(filter);
    if (!narrow || s.match === null) {
      for (const facet of facets) out[facet.field] = src.fallback(facet);
      continue;
    }
    Object.assign(out, countGroup(db, tid, schema, s, facets));
  }
  // In the order asked, as the per-facet queries answered.
  return Object.fromEntries(req.facets.map((f) => [f.field, out[f.field]!]));
}

/**
 * When facets are counted from the in-memory columns (facet-columns.ts): `columnsAt` is the match size from
 * which they are read into memory when they are not there yet. Tests lower it, and switch the columns off to
 * get SQL's answers on the same connection.
 */
export const facetColumnLimits = { columnsAt: 16_384, enabled: true };
/** Tables whose rowids run higher are counted with SQL: a column is an array indexed by rowid. */
const MAX_ROWID = 1 << 25;

/** The matching rowids: from the text index alone when there is no filter, else through the documents. */
function rowidsSql(tid: number, s: MatchScope): string {
  const f = ftsTable(tid);
  if (s.where.length === 1) return `SELECT rowid AS rid FROM ${f} WHERE ${f} MATCH ?`;
  return `SELECT d.rowid AS rid FROM ${s.from} WHERE ${s.where.join(' AND ')}`;
}

/** `value` within a range bucket (from inclusive, to exclusive), its bounds appended to `params`. */
export function rangeCondition(value: string, r: RangeBucketRequest, params: unknown[]): string {
  const conds = [`${value} IS NOT NULL`];
  if (r.from !== undefined) {
    conds.push(`${value} >= ?`);
    params.push(r.from);
  }
  if (r.to !== undefined) {
    conds.push(`${value} < ?`);
    params.push(r.to);
  }
  return conds.join(' AND ');
}

function countGroup(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  s: MatchScope,
  facets: FacetRequest[],
): Record<string, FacetResult> {
  // One column of the set per distinct field, even if a field were asked for twice.
  const fields = [...new Set(facets.map((f) => f.field))];
  const colOf = (field: string) => `v${fields.indexOf(field)}`;
  const select = fields.map((f, i) => `x.${column(schema, f)} AS v${i}`).join(', ');
  const parts: string[] = [];
  const params: unknown[] = [];
  facets.forEach((facet, k) => {
    const list = isList(schema, facet.field);
    // A list's values are its column's JSON elements: a bucket counts each document once per distinct value
    // (the column holds distinct values), stats take every value, a range counts a document once if any fits.
    const { from, v } = list
      ? { from: `m, json_each(m.${colOf(facet.field)}) j`, v: 'j.value' }
      : { from: 'm', v: colOf(facet.field) };
    if (!facet.ranges && !facet.stats) {
      parts.push(
        `SELECT * FROM (SELECT ${k * 3 + TERMS} AS k, ${v} AS v, count(*) AS n, NULL AS a, NULL AS b, NULL AS c FROM ${from} ` +
          `WHERE ${v} IS NOT NULL GROUP BY ${v} ORDER BY n DESC, v ASC LIMIT ?)`,
      );
      params.push(facet.size);
    }
    facet.ranges?.forEach((r, i) => {
      const within = rangeCondition(list ? 'value' : v, r, params);
      const where = list
        ? `EXISTS (SELECT 1 FROM json_each(m.${colOf(facet.field)}) WHERE ${within})`
        : within;
      parts.push(
        `SELECT ${k * 3 + RANGE} AS k, ${i} AS v, count(*) AS n, NULL AS a, NULL AS b, NULL AS c FROM m WHERE ${where}`,
      );
    });
    if (facet.stats)
      parts.push(
        `SELECT ${k * 3 + STATS} AS k, min(${v}) AS v, count(${v}) AS n, max(${v}) AS a, avg(${v}) AS b, sum(${v}) AS c FROM ${from}`,
      );
  });
  // Materialized when read more than once, so the match is run and the facet table read once for all parts.
  // CROSS JOIN keeps the match outside: the facet table is looked up by rowid, never scanned.
  const cte = `WITH m AS ${parts.length > 1 ? 'MATERIALIZED ' : ''}(SELECT ${select} FROM (${rowidsSql(tid, s)}) q CROSS JOIN ${facetTable(tid)} x ON x.rowid = q.rid)`;
  const rows =
    columnRows(db, tid, schema, s, facets) ??
    (cached(db, `${cte} ${parts.join(' UNION ALL ')}`).all(...s.params, ...params) as CountRow[]);

  const out: Record<string, FacetResult> = {};
  facets.forEach((facet, k) => {
    const mine = (kind: number) => rows.filter((r) => r.k === k * 3 + kind);
    const res: FacetResult = {};
    if (!facet.ranges && !facet.stats) {
      const boolean = schema.fields[facet.field]!.type === 'boolean';
      res.buckets = mine(TERMS).map((r) => ({ value: boolean ? r.v === 1 : (r.v as Scalar), count: r.n }));
    }
    if (facet.ranges) {
      const counts = new Map(mine(RANGE).map((r) => [r.v as number, r.n]));
      res.ranges = rangeBuckets(facet.ranges, (i) => counts.get(i) ?? 0);
    }
    if (facet.stats) {
      // One row: min in v, count in n, then max, avg and sum.
      const st = mine(STATS)[0]!;
      res.stats = { min: st.v as number | null, max: st.a, avg: st.b, sum: st.c, count: st.n };
    }
    out[facet.field] = res;
  });
  return out;
}

/**
 * The counting statement's rows from the in-memory facet columns (facet-columns.ts), or null when they do not
 * apply: a list facet, a match too narrow to be worth reading the columns whole (and they are not in memory
 * yet), or a range or stats SQL would compute over values the columns cannot (facet-column-counts.ts).
 */
function columnRows(
  db: Database.Database,
  tid: number,
  schema: IndexSchema,
  s: MatchScope,
  facets: FacetRequest[],
): CountRow[] | null {
  if (!facetColumnLimits.enabled || facets.some((f) => isList(schema, f.field))) return null;
  const names = [...new Set(facets.map((f) => column(schema, f.field)))];
  let columns = facetColumns(db, tid, names, false);
  if (!columns) {
    // Reading the columns whole costs a pass over the table (1M rows: about 0.9 s), repaid within a few searches
    // of a match of 1/64 of it (SQL's lookups and sorts cost 60-100 ms for 100k matching rows), and kept through
    // writes by patching. The match is counted only that far, so a narrower one costs a short count before SQL
    // counts its facets.
    const top =
      (cached(db, `SELECT max(rowid) FROM ${facetTable(tid)}`)
        .pluck()
        .get() as number | null) ?? 0;
    if (top > MAX_ROWID) return null;
    const need = Math.max(facetColumnLimits.columnsAt, Math.ceil(top / 64));
    const n = cached(db, `SELECT count(*) FROM (SELECT 1 FROM (${rowidsSql(tid, s)}) LIMIT ?)`)
      .pluck()
      .get(...s.params, need) as number;
    if (n < need) return null;
    columns = facetColumns(db, tid, names, true)!;
  }
  const columnOf = (f: FacetRequest) => columns[names.indexOf(column(schema, f.field))]!;
  if (!facets.every((f) => countable(columnOf(f), f))) return null;
  // Without a filter, the match's rowids as the page's plan may have read them already.
  const rowids =
    s.where.length === 1 && s.match !== null
      ? matchRowids(db, tid, s.match)
      : parseRowids(
          cached(db, `SELECT group_concat(rid) FROM (${rowidsSql(tid, s)})`)
            .pluck()
            .get(...s.params) as string | null,
        );
  const counts = new Map(columns.map((c) => [c, tallies(c, rowids)]));
  const rows: CountRow[] = [];
  for (const [k, facet] of facets.entries()) {
    const c = columnOf(facet);
    const n = counts.get(c)!;
    if (!facet.ranges && !facet.stats)
      for (const b of topBuckets(c, n, facet.size))
        rows.push({ k: k * 3 + TERMS, v: b.v, n: b.n, a: null, b: null, c: null });
    if (facet.ranges)
      rangeCounts(c, n, facet).forEach((count, i) =>
        rows.push({ k: k * 3 + RANGE, v: i, n: count, a: null, b: null, c: null }),
      );
    if (facet.stats) {
      const st = integerStats(c, n);
      if (!st) return null;
      rows.push({ k: k * 3 + STATS, v: st.min, n: st.count, a: st.max, b: st.avg, c: st.sum });
    }
  }
  return rows;
}
