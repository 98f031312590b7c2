import { join } from 'node:path';
import { afterAll } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.js';
import { runStoreConformance } from './store.conformance.js';
import { SqliteAnalyticsStore, ANALYTICS_DB_FILE } from './sqlite-store.js';

const dir = tempDir('sift-analytics-');
afterAll(() => dir.remove());

runStoreConformance('sqlite', async () => new SqliteAnalyticsStore(join(dir.path, ANALYTICS_DB_FILE)));
