import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterEngine } from '../../../test/support/cluster.js';
import { SearchService } from '../../service/search-service.js';
import { batches } from './bulk.js';
import type { ClusterEngine } from './engine.js';

describe('bulk batching (unit)', () => {
  const line = (pos: number, bytes: number) => ({ pos, text: 'x', bytes });
  it('cuts by count', () => {
    const out = batches([0, 1, 2, 3, 4].map((i) => line(i, 10)), 2, 1000);
    expect(out.map((b) => b.map((l) => l.pos))).toEqual([[0, 1], [2, 3], [4]]);
  });
  it('cuts by bytes, but never leaves an oversized line out', () => {
    const out = batches([line(0, 60), line(1, 60), line(2, 500), line(3, 10)], 100, 100);
    expect(out.map((b) => b.map((l) => l.pos))).toEqual([[0], [1], [2], [3]]);
  });
});

describe('bulk import with per-item errors (real OpenSearch node)', () => {
  let engine: ClusterEngine;
  let svc: SearchService;
  const idx = 'bulk-items';
  const schema = {
    id_field: 'id',
    fields: { id: { type: 'keyword' }, title: { type: 'text' }, at: { type: 'date', sortable: true } },
  };

  beforeAll(async () => {
    engine = clusterEngine('opensearch');
    svc = new SearchService(engine);
    await svc.putIndex(idx, schema);
  });
  afterAll(async () => {
    await engine.dropIndex(idx);
    await engine.close();
  });

  it('stores what the cluster accepts and reports what it refuses, per item', async () => {
    const res = await svc.importDocuments(idx, [
      { id: 'a', title: 'first', at: '2024-01-01' },
      // Valid for Sift (epoch ms within the JavaScript date range) but a six-digit year the cluster cannot parse.
      { id: 'far-future', title: 'far', at: 8.64e15 },
      { id: 'b', title: 'second', at: '2024-01-02' },
    ]);
    expect(res.indexed).toBe(2);
    expect(res.items[1]).toMatchObject({ index: 1, id: 'far-future', status: 422 });
    expect(res.items[1]!.error!.code).toBe('DOCUMENT_REJECTED');
    expect(res.items[0]).toMatchObject({ status: 201, result: 'created' });
    expect((await svc.getDocument(idx, 'b')).document.title).toBe('second');
    await expect(svc.getDocument(idx, 'far-future')).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
    // Read-your-writes: acknowledged items are searchable at once (refresh wait_for).
    expect((await svc.search(idx, { q: 'second' })).hits.map((h) => h.id)).toEqual(['b']);
  });

  it('splits a large import into many bounded requests and stores every item', async () => {
    const docs = Array.from({ length: 1234 }, (_, i) => ({ id: `d${i}`, title: `doc number ${i}` }));
    const res = await svc.importDocuments(idx, docs);
    expect(res.failed).toBe(0);
    expect((await svc.search(idx, { size: 0 })).total).toBeGreaterThanOrEqual(1234);
  });
});
