import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.js';
import { CREATE_VERSION_TABLE, migrations, SQLITE, VERSION_TABLE } from './sql.js';
import { runStoreConformance, runUpgradeConformance } from './store.conformance.js';
import { SqliteAnalyticsStore, ANALYTICS_DB_FILE } from './sqlite-store.js';

const dir = tempDir('sift-analytics-');
afterAll(() => dir.remove());

runStoreConformance('sqlite', async () => new SqliteAnalyticsStore(join(dir.path, ANALYTICS_DB_FILE)));

runUpgradeConformance('sqlite', async (searches) => {
  const path = join(dir.path, 'v1.sqlite');
  const db = new Database(path);
  db.exec(CREATE_VERSION_TABLE);
  for (const s of migrations(SQLITE)[0]!.statements) db.exec(s);
  db.prepare(`INSERT INTO ${VERSION_TABLE} (version, applied_at) VALUES (1, 0)`).run();
  const row = db.prepare(
    `INSERT INTO analytics_searches (at, index_name, query, filter_fields, hits, latency_ms, principal)
     VALUES (?, 'books', ?, '', ?, ?, 'anonymous')`,
  );
  for (const s of searches) row.run(s.at, s.query, s.hits, s.latencyMs);
  db.close();
  return new SqliteAnalyticsStore(path);
});
