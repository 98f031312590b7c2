import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import type { SearchService } from '../../service/search-service.js';
import type { SqliteEngine } from './engine.js';
import { EmbeddedSnapshots } from './snapshot.js';

/** The embedded engine's vector table through the paths that build or copy it without the write triggers. */
describe('embedded engine vectors', () => {
  const { dir: temp, open } = tempSqlite('vec');
  const SCHEMA = {
    fields: {
      id: { type: 'keyword' },
      title: { type: 'text' },
      n: { type: 'integer' },
      v: { type: 'vector', dimensions: 4, similarity: 'euclidean' },
    },
  };
  // Document i sits at (i, 0, 0, 0): the nearest to (x, 0, 0, 0) are the ids closest to x.
  const docs = Array.from({ length: 50 }, (_, i) => ({
    id: `d${String(i).padStart(2, '0')}`,
    n: i,
    v: [i, 0, 0, 0],
  }));
  async function* batchesOf<T>(items: T[], size: number): AsyncGenerator<T[]> {
    for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
  }
  const nearest = async (svc: SearchService, x: number, extra: Record<string, unknown> = {}) =>
    (await svc.search('vecs', { vector: [x, 0, 0, 0], k: 3, ...extra })).hits.map((h) => h.id);
  const vectorRows = (engine: SqliteEngine, tid = 1) => {
    const db = new Database(engine.path, { readonly: true });
    try {
      return db.prepare(`SELECT count(*) FROM v_${tid} WHERE e_v IS NOT NULL`).pluck().get();
    } finally {
      db.close();
    }
  };

  it('are built once by a bulk load into an empty index, and kept by the triggers afterwards', async () => {
    const { engine, svc } = await open();
    await svc.putIndex('vecs', SCHEMA);
    const { mode } = await svc.importStream('vecs', batchesOf(docs, 7), {
      written: () => {},
      durable: () => {},
    });
    expect(mode).toBe('rebuild');
    expect(vectorRows(engine)).toBe(50);
    expect(await nearest(svc, 10.2)).toEqual(['d10', 'd11', 'd09']);
    // A filter is applied inside: the three nearest among n >= 30 to a point near 10 are 30, 31, 32.
    expect(await nearest(svc, 10, { filter: 'n >= 30' })).toEqual(['d30', 'd31', 'd32']);
    await svc.putDocument('vecs', 'd10', { id: 'd10', n: 10, v: [100, 0, 0, 0] });
    expect(await nearest(svc, 10.2)).toEqual(['d11', 'd09', 'd12']);
  });

  it('are carried by a reindex and a snapshot, and searched after a restore', async () => {
    const { engine, svc, dataDir } = await open();
    await svc.putIndex('vecs', SCHEMA);
    expect((await svc.importDocuments('vecs', docs)).failed).toBe(0);
    const result = await svc.reindex('vecs');
    expect(result.to_version).toBe(2);
    expect(await nearest(svc, 20)).toEqual(['d20', 'd19', 'd21']);

    await new EmbeddedSnapshots({ dataDir }).create('with-vectors');
    await engine.close();
    const into = temp();
    await new EmbeddedSnapshots({ dataDir, restoreInto: into }).restore('with-vectors');
    const restored = await open(into);
    expect(await nearest(restored.svc, 20)).toEqual(['d20', 'd19', 'd21']);
    expect((await restored.svc.getDocument('vecs', 'd07')).document.v).toEqual([7, 0, 0, 0]);
  });

  it('round-trip through an export and an import into another index, values as written', async () => {
    const { svc } = await open();
    await svc.putIndex('vecs', SCHEMA);
    const exact = docs.map((d) => ({ ...d, v: [d.n + 0.123456789, 1e-7, -2.5, 0] }));
    expect((await svc.importDocuments('vecs', exact)).failed).toBe(0);
    const exported = [];
    for await (const { document } of await svc.exportDocuments('vecs')) exported.push(document);
    expect(exported).toEqual(exact);
    await svc.putIndex('copy', SCHEMA);
    const { mode } = await svc.importStream('copy', batchesOf(exported, 16), {
      written: () => {},
      durable: () => {},
    });
    expect(mode).toBe('rebuild');
    const nearestIn = async (index: string) =>
      (await svc.search(index, { vector: [20, 0, -2.5, 0], k: 3 })).hits.map((h) => [h.id, h.score]);
    expect(await nearestIn('copy')).toEqual(await nearestIn('vecs'));
    expect((await nearestIn('copy')).map(([id]) => id)).toEqual(['d20', 'd19', 'd21']);
  });

  it('a vector field added to an index with documents takes vectors from then on', async () => {
    const { svc } = await open();
    const withoutVector = Object.fromEntries(Object.entries(SCHEMA.fields).filter(([name]) => name !== 'v'));
    await svc.putIndex('vecs', { fields: withoutVector });
    await svc.putDocument('vecs', 'old', { id: 'old', n: 1 });
    await svc.putIndex('vecs', SCHEMA);
    await svc.putDocument('vecs', 'new', { id: 'new', n: 2, v: [1, 1, 1, 1] });
    const r = await svc.search('vecs', { vector: [0, 0, 0, 0], k: 10 });
    expect(r.hits.map((h) => [h.id, h.score])).toEqual([['new', 0.2]]);
  });
});
