import type { ReportRange } from './types.js';

/**
 * The SQL both stores run, written once in the subset SQLite and PostgreSQL share (window functions, CTEs, integer
 * division), so the two stores cannot answer a report differently. What differs is spelled by the dialect: column
 * types, and a byte-order collation for ties (PostgreSQL's default collation follows the database locale).
 */
export interface Dialect {
  bigint: string;
  real: string;
  /** Appended to text columns in ORDER BY. */
  collate: string;
}

export const SQLITE: Dialect = { bigint: 'INTEGER', real: 'REAL', collate: '' };
export const POSTGRES: Dialect = { bigint: 'BIGINT', real: 'DOUBLE PRECISION', collate: ' COLLATE "C"' };

export const VERSION_TABLE = 'analytics_schema_version';
export const SEARCHES = 'analytics_searches';
export const EVENTS = 'analytics_events';
export const LATENCIES = 'analytics_latencies';
export const POPULARITY = 'analytics_query_popularity';

const DAY_MS = 86_400_000;

/**
 * The migrations, in order; a store applies those above its recorded version, each in its own transaction.
 * Append only: a released migration is never edited. No column holds a client address.
 */
export function migrations(d: Dialect): readonly { version: number; statements: string[] }[] {
  return [
    {
      version: 1,
      statements: [
        `CREATE TABLE ${SEARCHES} (
          at ${d.bigint} NOT NULL,
          index_name TEXT NOT NULL,
          query TEXT NOT NULL,
          filter_fields TEXT NOT NULL,
          hits ${d.bigint} NOT NULL,
          latency_ms ${d.real} NOT NULL,
          principal TEXT NOT NULL
        )`,
        `CREATE INDEX ${SEARCHES}_at ON ${SEARCHES} (at)`,
        `CREATE INDEX ${SEARCHES}_index_at ON ${SEARCHES} (index_name, at)`,
        `CREATE TABLE ${EVENTS} (
          at ${d.bigint} NOT NULL,
          type TEXT NOT NULL,
          index_name TEXT NOT NULL,
          query TEXT NOT NULL,
          doc_id TEXT NOT NULL,
          position INTEGER NOT NULL,
          principal TEXT NOT NULL
        )`,
        `CREATE INDEX ${EVENTS}_at ON ${EVENTS} (at)`,
        `CREATE INDEX ${EVENTS}_index_at ON ${EVENTS} (index_name, at)`,
      ],
    },
    {
      // Searches folded per second (aggregate.ts): a row counts its searches, and latencies move to a table of
      // their own (per index, second and distinct latency), which is all the latency report reads. The rows
      // already stored keep their meaning: one search each, its latency copied over.
      version: 2,
      statements: [
        `CREATE TABLE ${LATENCIES} (
          at ${d.bigint} NOT NULL,
          index_name TEXT NOT NULL,
          latency_ms ${d.real} NOT NULL,
          searches ${d.bigint} NOT NULL
        )`,
        `INSERT INTO ${LATENCIES} (at, index_name, latency_ms, searches)
          SELECT at, index_name, latency_ms, 1 FROM ${SEARCHES}`,
        `CREATE INDEX ${LATENCIES}_at ON ${LATENCIES} (at)`,
        `CREATE INDEX ${LATENCIES}_index_at ON ${LATENCIES} (index_name, at)`,
        `ALTER TABLE ${SEARCHES} ADD COLUMN searches ${d.bigint} NOT NULL DEFAULT 1`,
        `ALTER TABLE ${SEARCHES} DROP COLUMN latency_ms`,
      ],
    },
    {
      // What popular-query suggestions are chosen from (popularity.ts): per UTC day, index, query and
      // principal, the searches that found something, never a scoped key's. Kept current by each flush and
      // read by a periodic job, so no request groups days of search rows. Filled from the searches kept so far.
      version: 3,
      statements: [
        `CREATE TABLE ${POPULARITY} (
          day ${d.bigint} NOT NULL,
          index_name TEXT NOT NULL,
          query TEXT NOT NULL,
          principal TEXT NOT NULL,
          searches ${d.bigint} NOT NULL,
          PRIMARY KEY (index_name, query, principal, day)
        )`,
        `CREATE INDEX ${POPULARITY}_day ON ${POPULARITY} (day)`,
        `INSERT INTO ${POPULARITY} (day, index_name, query, principal, searches)
          SELECT at - at % ${DAY_MS}, index_name, query, principal, SUM(searches) FROM ${SEARCHES}
          WHERE hits > 0 AND query <> '' AND substr(principal, 1, 7) <> 'scoped:'
          GROUP BY at - at % ${DAY_MS}, index_name, query, principal`,
      ],
    },
  ];
}

export const CREATE_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (
  version INTEGER PRIMARY KEY,
  applied_at BIGINT NOT NULL
)`;

/** A statement with `?` placeholders and its parameters, in order. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** The WHERE clause of a range over a table (optionally aliased) and its parameters. */
function within(range: ReportRange): Statement {
  const byIndex = range.index !== undefined;
  return {
    sql: `at >= ? AND at < ?${byIndex ? ' AND index_name = ?' : ''}`,
    params: byIndex ? [range.from, range.to, range.index] : [range.from, range.to],
  };
}

export function topQueriesSql(d: Dialect, range: ReportRange): Statement {
  const w = within(range);
  return {
    sql: `SELECT index_name, query, SUM(searches) AS searches,
            SUM(CASE WHEN hits = 0 THEN searches ELSE 0 END) AS no_results
          FROM ${SEARCHES} WHERE ${w.sql}
          GROUP BY index_name, query
          ORDER BY searches DESC, index_name${d.collate}, query${d.collate}
          LIMIT ?`,
    params: [...w.params, range.limit],
  };
}

export function noResultsSql(d: Dialect, range: ReportRange): Statement {
  const w = within(range);
  return {
    sql: `SELECT index_name, query, SUM(searches) AS searches
          FROM ${SEARCHES} WHERE hits = 0 AND ${w.sql}
          GROUP BY index_name, query
          ORDER BY searches DESC, index_name${d.collate}, query${d.collate}
          LIMIT ?`,
    params: [...w.params, range.limit],
  };
}

/** Events join the searches of the same (index, query) in the same range; events of unsearched queries drop. */
export function clicksSql(d: Dialect, range: ReportRange): Statement {
  const w = within(range);
  return {
    sql: `WITH s AS (
            SELECT index_name, query, SUM(searches) AS searches
            FROM ${SEARCHES} WHERE ${w.sql} GROUP BY index_name, query
          ), e AS (
            SELECT index_name, query,
              SUM(CASE WHEN type = 'click' THEN 1 ELSE 0 END) AS clicks,
              SUM(CASE WHEN type = 'conversion' THEN 1 ELSE 0 END) AS conversions,
              SUM(CASE WHEN type = 'click' THEN position ELSE 0 END) AS position_sum
            FROM ${EVENTS} WHERE ${w.sql} GROUP BY index_name, query
          )
          SELECT s.index_name AS index_name, s.query AS query, s.searches AS searches,
            COALESCE(e.clicks, 0) AS clicks, COALESCE(e.conversions, 0) AS conversions,
            COALESCE(e.position_sum, 0) AS position_sum
          FROM s LEFT JOIN e ON e.index_name = s.index_name AND e.query = s.query
          ORDER BY s.searches DESC, clicks DESC, s.index_name${d.collate}, s.query${d.collate}
          LIMIT ?`,
    params: [...w.params, ...w.params, range.limit],
  };
}

/**
 * Nearest-rank percentiles over the latency rows, each weighing its count: the value at rank ceil(p * n / 100) is
 * the smallest latency whose running count reaches it. Integer arithmetic both databases share (PostgreSQL sums
 * BIGINTs as NUMERIC, so the sums are cast back to integers for the division).
 */
export function latencySql(d: Dialect, range: ReportRange): Statement {
  const w = within(range);
  const at = (p: number) => `MIN(CASE WHEN upto >= (n * ${p} + 99) / 100 THEN latency_ms END)`;
  return {
    sql: `WITH r AS (
            SELECT index_name, latency_ms,
              CAST(SUM(searches) OVER (PARTITION BY index_name ORDER BY latency_ms
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ${d.bigint}) AS upto,
              CAST(SUM(searches) OVER (PARTITION BY index_name) AS ${d.bigint}) AS n
            FROM ${LATENCIES} WHERE ${w.sql}
          )
          SELECT index_name, MAX(n) AS searches, ${at(50)} AS p50, ${at(95)} AS p95, ${at(99)} AS p99
          FROM r GROUP BY index_name
          ORDER BY index_name${d.collate}
          LIMIT ?`,
    params: [...w.params, range.limit],
  };
}

/** Which popular queries may be suggested (popularity.ts has the rule). */
export interface PopularRule {
  /** Day buckets from this one (epoch ms of a UTC day's start) on. */
  since: number;
  minPrincipals: number;
  /** 0: anonymous searches alone never make a query popular. */
  minAnonymous: number;
  limit: number;
}

/**
 * The queries that pass the rule, most searched first: a GROUP BY over the popularity table (a row per query,
 * principal and day), run by a periodic job, never per request. Every anonymous caller is one principal here.
 */
export function popularQueriesSql(d: Dialect, rule: PopularRule): Statement {
  return {
    sql: `SELECT index_name, query, SUM(searches) AS searches
          FROM ${POPULARITY} WHERE day >= ?
          GROUP BY index_name, query
          HAVING COUNT(DISTINCT principal) >= ?
            OR (? > 0 AND SUM(CASE WHEN principal = 'anonymous' THEN searches ELSE 0 END) >= ?)
          ORDER BY searches DESC, index_name${d.collate}, query${d.collate}
          LIMIT ?`,
    params: [rule.since, rule.minPrincipals, rule.minAnonymous, rule.minAnonymous, rule.limit],
  };
}

/** Adds a flush's counts to the popularity rows (one row per key in a statement: see popularity.ts). */
export const POPULARITY_UPSERT = `ON CONFLICT (index_name, query, principal, day)
  DO UPDATE SET searches = ${POPULARITY}.searches + excluded.searches`;
