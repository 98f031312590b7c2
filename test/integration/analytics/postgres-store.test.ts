// @services postgres
import { afterAll } from 'vitest';
import { PostgresAnalyticsStore } from '../../../src/analytics/postgres-store.js';
import { runStoreConformance } from '../../../src/analytics/store.conformance.js';
import { serviceUrl } from '../../support/services.js';
import { freshDatabase, type FreshDatabase } from './support/postgres.js';

let db: FreshDatabase | undefined;
afterAll(async () => {
  await db?.drop();
});

runStoreConformance('postgres', async () => {
  db = await freshDatabase(serviceUrl('postgres'));
  return new PostgresAnalyticsStore(db.url);
});
