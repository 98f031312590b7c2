// @services postgres
import pg from 'pg';
import { serviceUrl } from '../../support/services.js';
import { freshDatabase, type FreshDatabase } from './support/postgres.js';
import { describeWorkload } from './support/workload.js';

let db: FreshDatabase | undefined;

async function read<T>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: db!.url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describeWorkload('PostgreSQL', {
  async env() {
    db = await freshDatabase(serviceUrl('postgres'));
    return { DATABASE_URL: db.url };
  },
  rows: () => ({
    all: async () =>
      [
        ...(await read('SELECT * FROM analytics_searches')),
        ...(await read('SELECT * FROM analytics_latencies')),
        ...(await read('SELECT * FROM analytics_events')),
        ...(await read('SELECT * FROM analytics_query_popularity')),
      ].map((r) => JSON.stringify(r)),
    principals: async () =>
      (
        await read<{ principal: string }>(
          `SELECT principal FROM analytics_searches UNION SELECT principal FROM analytics_events
           UNION SELECT principal FROM analytics_query_popularity`,
        )
      ).map((r) => r.principal),
  }),
  cleanup: async () => db?.drop(),
});
