import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ANALYTICS_DB_FILE } from '../../../src/analytics/sqlite-store.js';
import { describeWorkload } from './support/workload.js';

describeWorkload('SQLite', {
  env: async () => ({}),
  rows(dataDir) {
    const read = <T>(sql: string): T[] => {
      const db = new Database(join(dataDir, ANALYTICS_DB_FILE), { readonly: true });
      try {
        return db.prepare(sql).all() as T[];
      } finally {
        db.close();
      }
    };
    return {
      all: async () =>
        [
          ...read('SELECT * FROM analytics_searches'),
          ...read('SELECT * FROM analytics_latencies'),
          ...read('SELECT * FROM analytics_events'),
          ...read('SELECT * FROM analytics_query_popularity'),
        ].map((r) => JSON.stringify(r)),
      principals: async () =>
        read<{ principal: string }>(
          `SELECT principal FROM analytics_searches UNION SELECT principal FROM analytics_events
           UNION SELECT principal FROM analytics_query_popularity`,
        ).map((r) => r.principal),
    };
  },
});
