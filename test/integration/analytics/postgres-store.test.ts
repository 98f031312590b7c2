// @services postgres
import pg from 'pg';
import { afterAll } from 'vitest';
import { PostgresAnalyticsStore } from '../../../src/analytics/postgres-store.js';
import { CREATE_VERSION_TABLE, migrations, POSTGRES, VERSION_TABLE } from '../../../src/analytics/sql.js';
import { runStoreConformance, runUpgradeConformance } from '../../../src/analytics/store.conformance.js';
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

runUpgradeConformance('postgres', async (searches) => {
  const db = await fresh();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(CREATE_VERSION_TABLE);
    for (const s of migrations(POSTGRES)[0]!.statements) await client.query(s);
    await client.query(`INSERT INTO ${VERSION_TABLE} (version, applied_at) VALUES (1, 0)`);
    for (const s of searches)
      await client.query(
        `INSERT INTO analytics_searches (at, index_name, query, filter_fields, hits, latency_ms, principal)
         VALUES ($1, 'books', $2, '', $3, $4, 'anonymous')`,
        [s.at, s.query, s.hits, s.latencyMs],
      );
  } finally {
    await client.end();
  }
  return new PostgresAnalyticsStore(db.url);
});
