import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IndexSchema } from '../../schema/types.js';
import type { SearchService } from '../../service/search-service.js';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import type { SqliteEngine } from './engine.js';

const SCHEMA: IndexSchema = {
  id_field: 'name',
  fields: {
    name: { type: 'keyword', searchable: true, boost: 4, sortable: true },
    downloads: { type: 'integer', filterable: true, sortable: true, facet: true },
    score: { type: 'float', filterable: true },
    deprecated: { type: 'boolean', filterable: true, facet: true },
    published: { type: 'date', filterable: true, sortable: true },
    summary: { type: 'text', searchable: true, boost: 1 },
  },
  ranking: { popularity: { field: 'downloads', weight: 1 } },
} as unknown as IndexSchema;

const doc = (i: number, extra: Record<string, unknown> = {}) => ({
  name: `pkg-${i}`,
  downloads: i * 10,
  score: i / 4,
  deprecated: i % 2 === 0,
  published: `2024-01-${String((i % 28) + 1).padStart(2, '0')}T00:00:00Z`,
  summary: `word${i % 13} common text number ${i}`,
  ...extra,
});

/** A batch into a live index is written a few statements at a time (version-writer.ts writeMany). */
describe('embedded engine: batches into a live index', () => {
  const temp = tempSqlite('write-many', { after: 'all' });
  let engine: SqliteEngine;
  let svc: SearchService;
  let db: Database.Database;

  beforeAll(async () => {
    ({ engine, svc } = await temp.open());
    await svc.putIndex('p', SCHEMA);
    await engine.bulkUpsert(
      'p',
      [0, 1, 2].map((i) => ({ id: `pkg-${i}`, document: doc(i) })),
    );
    db = temp.track(new Database(engine.path));
  });
  it('tells new documents from replaced ones, a repeated id in the batch replacing the earlier', async () => {
    const res = await engine.bulkUpsert('p', [
      { id: 'pkg-1', document: doc(1, { summary: 'replaced one' }) },
      { id: 'pkg-7', document: doc(7) },
      { id: 'pkg-7', document: doc(7, { summary: 'second seven' }) },
      { id: 'pkg-8', document: doc(8) },
    ]);
    expect(res.map((r) => r.created)).toEqual([false, true, false, true]);
    expect((await engine.get('p', 'pkg-7'))!.summary).toBe('second seven');
    const replaced = await svc.search('p', { q: 'replaced', highlight: [], facets: [] });
    expect(replaced.hits.map((h) => h.id)).toEqual(['pkg-1']);
    expect((await svc.search('p', { q: 'seven', highlight: [], facets: [] })).hits.map((h) => h.id)).toEqual([
      'pkg-7',
    ]);
  });

  it('stores typed values as one document at a time did: filters, facets and sorts see them', async () => {
    const found = await svc.search('p', {
      filter: 'deprecated = true AND score >= 1.5 AND published >= "2024-01-03T00:00:00Z"',
      sort: '-downloads',
      facets: [{ field: 'deprecated' }] as never,
      highlight: [],
    });
    expect(found.hits.map((h) => h.id)).toEqual(['pkg-8']);
    const row = db
      .prepare(`SELECT typeof(c_score), typeof(c_deprecated), c_published FROM d_1 WHERE id = 'pkg-8'`)
      .raw()
      .get();
    expect(row).toEqual(['real', 'integer', Date.parse('2024-01-09T00:00:00Z')]);
  });

  it('writes a batch to the text index as a few segments, not one per document', async () => {
    // No merging, so every segment written stays visible.
    db.exec(`INSERT INTO f_1(f_1, rank) VALUES ('automerge', 0)`);
    db.exec(`INSERT INTO f_1(f_1, rank) VALUES ('crisismerge', 1999)`);
    const segments = () => db.prepare('SELECT count(DISTINCT segid) FROM f_1_idx').pluck().get() as number;
    const before = segments();
    const batch = Array.from({ length: 400 }, (_, k) => ({ id: `pkg-${100 + k}`, document: doc(100 + k) }));
    const res = await engine.bulkUpsert('p', batch);
    expect(res.every((r) => r.created)).toBe(true);
    expect(segments() - before).toBeLessThanOrEqual(2);
    const all = await svc.search('p', { q: 'common', highlight: [], facets: [], track_total: true });
    // pkg-0, pkg-2 and pkg-8 of the earlier writes (pkg-1 and pkg-7 were replaced by other text), and the batch.
    expect(all.total).toBe(3 + 400);
  });
});
