import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.js';
import { CREATE_VERSION_TABLE, migrations, SQLITE, VERSION_TABLE } from './sql.js';
import { runStoreConformance } from './store.conformance.js';
import { SqliteAnalyticsStore, ANALYTICS_DB_FILE } from './sqlite-store.js';

const dir = tempDir('sift-analytics-');
afterAll(() => dir.remove());

runStoreConformance('sqlite', async () => new SqliteAnalyticsStore(join(dir.path, ANALYTICS_DB_FILE)));

describe('analytics store upgrade (sqlite)', () => {
  it('keeps the reports of rows stored one per search before searches were folded (schema 1)', async () => {
    const path = join(dir.path, 'v1.sqlite');
    const db = new Database(path);
    db.exec(CREATE_VERSION_TABLE);
    for (const s of migrations(SQLITE)[0]!.statements) db.exec(s);
    db.prepare(`INSERT INTO ${VERSION_TABLE} (version, applied_at) VALUES (1, 0)`).run();
    const row = db.prepare(
      `INSERT INTO analytics_searches (at, index_name, query, filter_fields, hits, latency_ms, principal)
       VALUES (?, 'books', ?, '', ?, ?, 'anonymous')`,
    );
    for (let i = 1; i <= 10; i++) row.run(1000 + i, i <= 7 ? 'dune' : 'xyzzy', i <= 7 ? 2 : 0, i);
    db.close();

    const store = new SqliteAnalyticsStore(path);
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
    await store.close();
  });
});
