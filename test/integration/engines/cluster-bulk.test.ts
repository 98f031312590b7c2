// @services opensearch
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterEngine } from '../../support/cluster.js';
import { SearchService } from '../../../src/service/search-service.js';
import { batches, docsPerRequest, runBulk, type BulkOp } from '../../../src/engines/cluster/bulk.js';
import type { ClusterEngine } from '../../../src/engines/cluster/engine.js';
import type { ClusterTransport } from '../../../src/engines/cluster/transport.js';

describe('bulk batching (unit)', () => {
  const line = (pos: number, bytes: number) => ({ pos, bytes: Buffer.alloc(bytes) });
  it('cuts by count', () => {
    const out = batches(
      [0, 1, 2, 3, 4].map((i) => line(i, 10)),
      2,
      1000,
    );
    expect(out.map((b) => b.map((l) => l.pos))).toEqual([[0, 1], [2, 3], [4]]);
  });
  it('cuts by bytes, but never leaves an oversized line out', () => {
    const out = batches([line(0, 60), line(1, 60), line(2, 500), line(3, 10)], 100, 100);
    expect(out.map((b) => b.map((l) => l.pos))).toEqual([[0], [1], [2], [3]]);
  });
});

describe('bulk request sizing (unit)', () => {
  it('spreads a write evenly over a multiple of the concurrency, never past maxDocs', () => {
    expect(docsPerRequest(5000, 1000, 2)).toBe(834);
    expect(docsPerRequest(2500, 1000, 2)).toBe(625);
    expect(docsPerRequest(4000, 1000, 2)).toBe(1000);
    expect(docsPerRequest(3000, 1000, 4)).toBe(750);
    expect(docsPerRequest(1000, 1000, 2)).toBe(1000);
    expect(docsPerRequest(1, 1000, 2)).toBe(1);
  });

  it('sends the first request before the rest of the write is serialised', async () => {
    const events: string[] = [];
    const ops: BulkOp[] = Array.from({ length: 6 }, (_, i) => ({
      action: 'index',
      index: 'i',
      id: String(i),
      source: { toJSON: () => (events.push(`serialise ${i}`), { n: i }) } as never,
    }));
    const transport = {
      product: 'opensearch' as const,
      async request(req: { bulkBody?: Buffer }) {
        const n = req.bulkBody!.toString().trim().split('\n').length / 2;
        events.push(`request of ${n}`);
        await new Promise((r) => setTimeout(r, 5));
        return {
          status: 200,
          body: { items: Array.from({ length: n }, () => ({ index: { status: 201 } })) },
        };
      },
    } as unknown as ClusterTransport;
    const out = await runBulk(transport, ops, {
      maxDocs: 2,
      maxBytes: 1 << 20,
      concurrency: 1,
      retries: 0,
      refresh: 'false',
      timeoutMs: 1000,
    });
    expect(out.every((o) => o.ok)).toBe(true);
    expect(events).toEqual([
      'serialise 0',
      'serialise 1',
      'request of 2',
      'serialise 2',
      'serialise 3',
      'request of 2',
      'serialise 4',
      'serialise 5',
      'request of 2',
    ]);
  });
});

describe('bulk writes of one id in two requests (unit, scripted transport)', () => {
  /**
   * Writes `ids` in requests of two, two in flight, through a transport that answers the request holding `slow`
   * last; returns when each request was sent and answered.
   */
  async function writeInPairs(ids: string[], slow: string): Promise<string[]> {
    const ops: BulkOp[] = ids.map((id, n) => ({ action: 'index', index: 'i', id, source: { n } }));
    const events: string[] = [];
    const transport = {
      product: 'opensearch' as const,
      async request(req: { bulkBody?: Buffer }) {
        const lines = req.bulkBody!.toString().trim().split('\n');
        const sent = lines.filter((_, i) => i % 2 === 0).map((l) => JSON.parse(l).index._id as string);
        events.push(`send ${sent.join(',')}`);
        await new Promise((r) => setTimeout(r, sent.includes(slow) ? 30 : 1));
        events.push(`done ${sent.join(',')}`);
        return { status: 200, body: { items: sent.map(() => ({ index: { status: 200 } })) } };
      },
    } as unknown as ClusterTransport;
    const out = await runBulk(transport, ops, {
      maxDocs: 2,
      maxBytes: 1 << 20,
      concurrency: 2,
      retries: 0,
      refresh: 'false',
      timeoutMs: 1000,
    });
    expect(out.every((o) => o.ok)).toBe(true);
    return events;
  }

  it('sends the later request only once the earlier one that writes the same id is done', async () => {
    // The first request is slow: without the wait, the second would be sent (and could land) first.
    expect(await writeInPairs(['a', 'b', 'c', 'a'], 'b')).toEqual([
      'send a,b',
      'done a,b',
      'send c,a',
      'done c,a',
    ]);
  });

  it('sends requests without a shared id at once', async () => {
    expect(await writeInPairs(['a', 'b', 'c', 'd'], 'a')).toEqual([
      'send a,b',
      'send c,d',
      'done c,d',
      'done a,b',
    ]);
  });
});

describe('bulk responses with mixed outcomes (unit, scripted transport)', () => {
  const ops: BulkOp[] = ['a', 'b', 'c'].map((id) => ({ action: 'index', index: 'i', id, source: { id } }));
  it('retries only the items pushed back, reports refused ones, and trusts only acknowledgements', async () => {
    const sent: string[][] = [];
    const answers = [
      [
        { index: { status: 201, result: 'created', _index: 'i-v1', _seq_no: 1 } },
        { index: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } },
        { index: { status: 400, error: { type: 'document_parsing_exception', reason: 'bad value' } } },
      ],
      [{ index: { status: 200, result: 'updated', _index: 'i-v1', _seq_no: 2 } }],
    ];
    const transport = {
      product: 'opensearch' as const,
      async request(req: { bulkBody?: Buffer }) {
        sent.push(
          req
            .bulkBody!.toString()
            .trim()
            .split('\n')
            .filter((_, i) => i % 2 === 0)
            .map((l) => (JSON.parse(l) as { index: { _id: string } }).index._id),
        );
        return { status: 200, body: { items: answers[sent.length - 1] } };
      },
      openPointInTime: async () => '',
      closePointInTime: async () => undefined,
      close: async () => undefined,
    } as unknown as ClusterTransport;
    const out = await runBulk(transport, ops, {
      maxDocs: 10,
      maxBytes: 1 << 20,
      concurrency: 1,
      retries: 2,
      refresh: 'false',
      timeoutMs: 1000,
      backoffMs: 1,
    });
    expect(sent).toEqual([['a', 'b', 'c'], ['b']]);
    expect(out.map((o) => [o.ok, o.created ?? null, o.error?.code ?? null])).toEqual([
      [true, true, null],
      [true, false, null],
      [false, null, 'DOCUMENT_REJECTED'],
    ]);
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

  it('reports every item refused by a write-blocked index without claiming any stored, then stores them', async () => {
    const physical = (await engine.catalogue.resolve(idx))!.physical;
    const block = (on: boolean) =>
      engine.transport.request({
        method: 'PUT',
        path: `/${physical}/_settings`,
        body: { index: { 'blocks.write': on } },
      });
    await block(true);
    try {
      const res = await svc.importDocuments(idx, [
        { id: 'blocked-1', title: 'first' },
        { id: 'bad', title: 42, at: 'not a date' },
        { id: 'blocked-2', title: 'second' },
      ]);
      expect(res.indexed).toBe(0);
      expect(res.items.map((i) => i.error?.code)).toEqual([
        'ENGINE_UNAVAILABLE',
        'INVALID_DOCUMENT',
        'ENGINE_UNAVAILABLE',
      ]);
      expect(res.items[0]!.status).toBe(503);
      await expect(svc.getDocument(idx, 'blocked-1')).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
    } finally {
      await block(false);
    }
    const again = await svc.importDocuments(idx, [
      { id: 'blocked-1', title: 'first' },
      { id: 'blocked-2', title: 'second' },
    ]);
    expect(again.items.map((i) => i.status)).toEqual([201, 201]);
    // Read-your-writes: acknowledged items are searchable at once (refresh wait_for).
    expect((await svc.search(idx, { q: 'second' })).hits.map((h) => h.id)).toEqual(['blocked-2']);
  });

  it('keeps dates the cluster cannot parse as text (years beyond 9999) and returns them as written', async () => {
    const res = await svc.importDocuments(idx, [
      { id: 'far', title: 'far away', at: 8.64e15 },
      { id: 'old', title: 'long ago', at: '1815-12-23' },
    ]);
    expect(res.items.filter((i) => i.error)).toEqual([]);
    expect((await svc.getDocument(idx, 'old')).document.at).toBe('1815-12-23T00:00:00.000Z');
    expect((await svc.search(idx, { filter: 'at < "1900-01-01"' })).hits.map((h) => h.id)).toEqual(['old']);
    expect((await svc.getDocument(idx, 'far')).document.at).toBe('+275760-09-13T00:00:00.000Z');
    const hits = await svc.search(idx, { filter: 'at > "9999-12-31"', sort: '-at' });
    expect(hits.hits.map((h) => [h.id, h.document.at])).toEqual([['far', '+275760-09-13T00:00:00.000Z']]);
  });

  it('splits a large import into many bounded requests and stores every item', async () => {
    const docs = Array.from({ length: 1234 }, (_, i) => ({ id: `d${i}`, title: `doc number ${i}` }));
    const res = await svc.importDocuments(idx, docs);
    expect(res.failed).toBe(0);
    expect((await svc.search(idx, { size: 0, track_total: true })).total).toBeGreaterThanOrEqual(1234);
  });
});

describe('bulk load of an import (real OpenSearch node)', () => {
  let engine: ClusterEngine;
  let svc: SearchService;
  const schema = { id_field: 'id', fields: { id: { type: 'keyword' }, title: { type: 'text' } } };

  beforeAll(() => {
    engine = clusterEngine('opensearch');
    svc = new SearchService(engine);
  });
  afterAll(() => engine.close());

  /** The live version's segments (primaries). */
  const segments = async (idx: string): Promise<number> => {
    const physical = (await engine.catalogue.resolve(idx))!.physical;
    const res = await engine.transport.request<{ segment: string; prirep: string }[]>({
      method: 'GET',
      path: `/_cat/segments/${physical}`,
      querystring: { format: 'json' },
    });
    return new Set(res.body.filter((s) => s.prirep === 'p').map((s) => s.segment)).size;
  };

  /** Batches of an import; each is made searchable (a segment of its own) before the next is read. */
  async function* batchesWithSegments(idx: string, from: number, count: number, size: number) {
    for (let at = from; at < from + count; at += size) {
      yield Array.from({ length: size }, (_, i) => ({ id: `d${at + i}`, title: `document ${at + i}` }));
      await engine.transport.request({
        method: 'POST',
        path: `/${engine.catalogue.names.alias(idx)}/_refresh`,
      });
    }
  }

  it('stores every batch, makes it searchable at the end and merges an index it loaded from empty', async () => {
    const idx = 'load-empty';
    await svc.putIndex(idx, schema);
    const written: number[] = [];
    const durable: number[] = [];
    const { mode } = await svc.importStream(idx, batchesWithSegments(idx, 0, 400, 100), {
      written: (r) => written.push(r.indexed),
      durable: (n) => durable.push(n),
    });
    expect(mode).toBe('batches');
    expect(written).toEqual([100, 100, 100, 100]);
    expect(durable).toEqual([100, 200, 300, 400]);
    expect((await svc.search(idx, { size: 0, track_total: true })).total).toBe(400);
    expect(await segments(idx)).toBe(1);
  });

  it('leaves the segments of an index that held documents before the load to the cluster', async () => {
    const idx = 'load-live';
    await svc.putIndex(idx, schema);
    await svc.importDocuments(idx, [{ id: 'first', title: 'already here' }]);
    await svc.importStream(idx, batchesWithSegments(idx, 0, 300, 100), {
      written: () => undefined,
      durable: () => undefined,
    });
    expect((await svc.search(idx, { size: 0, track_total: true })).total).toBe(301);
    expect(await segments(idx)).toBeGreaterThan(1);
  });
});
