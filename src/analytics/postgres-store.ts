import pg from 'pg';
import type { AnalyticsStore } from './store.js';
import {
  clicksSql,
  CREATE_VERSION_TABLE,
  EVENTS,
  LATENCIES,
  latencySql,
  migrations,
  noResultsSql,
  POPULARITY,
  POPULARITY_UPSERT,
  popularQueriesSql,
  type PopularRule,
  POSTGRES,
  SEARCHES,
  topQueriesSql,
  VERSION_TABLE,
  type Statement,
} from './sql.js';
import { popularityRows } from './popularity.js';
import { toIndexLatency, toNoResult, toPopularQuery, toQueryClicks, toQueryCount } from './rows.js';
import type { EventRecord, ReportRange, SearchBatch } from './types.js';

/** Any constant works: it only has to be the same in every Sift process migrating one database. */
const MIGRATION_LOCK = 7_372_001;
/** Few connections: flushes are batched and reports are rare. */
const POOL_SIZE = 3;

/** `?` placeholders (the shared SQL's) as PostgreSQL's `$1, $2, ...`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * Analytics in PostgreSQL (DATABASE_URL): the same tables and reports as the SQLite store. Migrations run
 * under an advisory lock, so workers starting together apply each one once.
 */
export class PostgresAnalyticsStore implements AnalyticsStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
    // An idle connection that the server drops must not take the process down; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await client.query(CREATE_VERSION_TABLE);
        const current = await this.versionWith(client);
        for (const m of migrations(POSTGRES)) {
          if (m.version <= current) continue;
          await client.query('BEGIN');
          try {
            for (const s of m.statements) await client.query(s);
            await client.query(`INSERT INTO ${VERSION_TABLE} (version, applied_at) VALUES ($1, $2)`, [
              m.version,
              Date.now(),
            ]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  private async versionWith(client: pg.PoolClient | pg.Pool): Promise<number> {
    const { rows } = await client.query(`SELECT MAX(version) AS v FROM ${VERSION_TABLE}`);
    return Number(rows[0]?.v ?? 0);
  }

  async schemaVersion(): Promise<number> {
    return this.versionWith(this.pool);
  }

  /** One statement per table whatever the batch size: the columns travel as arrays and unnest() into rows. */
  async insert(batch: SearchBatch, events: readonly EventRecord[]): Promise<void> {
    const { searches, latencies } = batch;
    if (searches.length === 0 && latencies.length === 0 && events.length === 0) return;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (searches.length > 0)
        await client.query(
          `INSERT INTO ${SEARCHES} (at, index_name, query, filter_fields, hits, principal, searches)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[],
             $6::text[], $7::bigint[])`,
          [
            searches.map((s) => s.at),
            searches.map((s) => s.index),
            searches.map((s) => s.query),
            searches.map((s) => s.filterFields.join(',')),
            searches.map((s) => s.hits),
            searches.map((s) => s.principal),
            searches.map((s) => s.searches),
          ],
        );
      if (latencies.length > 0)
        await client.query(
          `INSERT INTO ${LATENCIES} (at, index_name, latency_ms, searches)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::double precision[], $4::bigint[])`,
          [
            latencies.map((l) => l.at),
            latencies.map((l) => l.index),
            latencies.map((l) => l.latencyMs),
            latencies.map((l) => l.searches),
          ],
        );
      const popularity = popularityRows(searches);
      if (popularity.length > 0)
        await client.query(
          `INSERT INTO ${POPULARITY} (day, index_name, query, principal, searches)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])
           ${POPULARITY_UPSERT}`,
          [
            popularity.map((r) => r.day),
            popularity.map((r) => r.index),
            popularity.map((r) => r.query),
            popularity.map((r) => r.principal),
            popularity.map((r) => r.searches),
          ],
        );
      if (events.length > 0)
        await client.query(
          `INSERT INTO ${EVENTS} (at, type, index_name, query, doc_id, position, principal)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
             $6::integer[], $7::text[])`,
          [
            events.map((e) => e.at),
            events.map((e) => e.type),
            events.map((e) => e.index),
            events.map((e) => e.query),
            events.map((e) => e.docId),
            events.map((e) => e.position),
            events.map((e) => e.principal),
          ],
        );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async deleteBefore(before: number): Promise<number> {
    const a = await this.pool.query(`DELETE FROM ${SEARCHES} WHERE at < $1`, [before]);
    const b = await this.pool.query(`DELETE FROM ${EVENTS} WHERE at < $1`, [before]);
    await this.pool.query(`DELETE FROM ${LATENCIES} WHERE at < $1`, [before]);
    // A day's counts go once the day began before the cut: a day early rather than a day late.
    await this.pool.query(`DELETE FROM ${POPULARITY} WHERE day < $1`, [before]);
    return (a.rowCount ?? 0) + (b.rowCount ?? 0);
  }

  private async all(s: Statement): Promise<Record<string, unknown>[]> {
    const { rows } = await this.pool.query(numbered(s.sql), s.params);
    return rows as Record<string, unknown>[];
  }

  async topQueries(range: ReportRange) {
    return (await this.all(topQueriesSql(POSTGRES, range))).map(toQueryCount);
  }

  async noResults(range: ReportRange) {
    return (await this.all(noResultsSql(POSTGRES, range))).map(toNoResult);
  }

  async clicks(range: ReportRange) {
    return (await this.all(clicksSql(POSTGRES, range))).map(toQueryClicks);
  }

  async latency(range: ReportRange) {
    return (await this.all(latencySql(POSTGRES, range))).map(toIndexLatency);
  }

  async popularQueries(rule: PopularRule) {
    return (await this.all(popularQueriesSql(POSTGRES, rule))).map(toPopularQuery);
  }

  async columns(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const table of [SEARCHES, LATENCIES, EVENTS, POPULARITY]) {
      const { rows } = await this.pool.query(
        `SELECT column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      );
      out[table] = rows.map((r: { column_name: string }) => r.column_name);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
