// @services postgres
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresAnalyticsStore } from '../../../src/analytics/postgres-store.js';
import { CREATE_VERSION_TABLE, migrations, POSTGRES, VERSION_TABLE } from '../../../src/analytics/sql.js';
import { runStoreConformance } from '../../../src/analytics/store.conformance.js';
import { serviceUrl } from '../../support/services.js';
import { freshDatabase, type FreshDatabase } from './support/postgres.js';

const dbs: FreshDatabase[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
});
const fresh = async () => {
  const db = await freshDatabase(serviceUrl('postgres'));
  dbs.push(db);
  return db;
};

runStoreConformance('postgres', async () => new PostgresAnalyticsStore((await fresh()).url));

describe('analytics store upgrade (postgres)', () => {
  it('keeps the reports of rows stored one per search before searches were folded (schema 1)', async () => {
    const db = await fresh();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(CREATE_VERSION_TABLE);
      for (const s of migrations(POSTGRES)[0]!.statements) await client.query(s);
      await client.query(`INSERT INTO ${VERSION_TABLE} (version, applied_at) VALUES (1, 0)`);
      for (let i = 1; i <= 10; i++)
        await client.query(
          `INSERT INTO analytics_searches (at, index_name, query, filter_fields, hits, latency_ms, principal)
           VALUES ($1, 'books', $2, '', $3, $4, 'anonymous')`,
          [1000 + i, i <= 7 ? 'dune' : 'xyzzy', i <= 7 ? 2 : 0, i],
        );
    } finally {
      await client.end();
    }

    const store = new PostgresAnalyticsStore(db.url);
    try {
      await store.migrate();
      const all = { from: 0, to: 10_000, limit: 10 };
      expect(await store.topQueries(all)).toEqual([
        { index: 'books', query: 'dune', searches: 7, no_results: 0 },
        { index: 'books', query: 'xyzzy', searches: 3, no_results: 3 },
      ]);
      expect(await store.latency(all)).toEqual([
        { index: 'books', searches: 10, p50_ms: 5, p95_ms: 10, p99_ms: 10 },
      ]);
      // The popularity table starts from the searches kept: xyzzy found nothing, so only dune counts.
      expect(await store.popularQueries({ since: 0, minPrincipals: 1, minAnonymous: 0, limit: 10 })).toEqual([
        { index: 'books', query: 'dune', searches: 7 },
      ]);
    } finally {
      await store.close();
    }
  });
});
