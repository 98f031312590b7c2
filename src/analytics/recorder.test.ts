import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { siftMetrics } from '../metrics/registry.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { AnalyticsRecorder, type RawSearch, type RecorderOptions } from './recorder.js';
import { SearchRecords } from './search-record.js';
import { SqliteAnalyticsStore } from './sqlite-store.js';

const dir = tempDir('sift-recorder-');
afterAll(() => dir.remove());

const NOW = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;
const answer = (total: number) =>
  JSON.stringify({
    hits: [],
    total,
    total_relation: 'eq',
    facets: {},
    next_cursor: null,
    took_ms: 1,
    partial: false,
  });
const search = (over: Partial<RawSearch> = {}): RawSearch => ({
  at: NOW,
  index: 'books',
  input: { q: 'Dune' },
  answer: answer(2),
  latencyMs: 1.5,
  principal: 'anonymous',
  ...over,
});
const toSearchRecord = (s: RawSearch) => new SearchRecords().of(s);
const all = { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 100 };

async function recorder(opts: Partial<RecorderOptions> = {}) {
  const store = new SqliteAnalyticsStore(join(dir.path, `${Math.random().toString(36).slice(2)}.sqlite`));
  await store.migrate();
  return new AnalyticsRecorder(store, {
    sampleRate: 1,
    bufferSize: 100,
    flushIntervalMs: 60_000,
    retentionMs: 30 * DAY,
    now: () => NOW,
    ...opts,
  });
}

const dropped = async (kind: string) =>
  (await siftMetrics().analyticsDropped.get()).values.find(
    (v) => v.labels.kind === kind && v.labels.reason === 'buffer_full',
  )?.value ?? 0;

describe('analytics recorder', () => {
  let before: number;
  beforeEach(async () => {
    before = await dropped('search');
  });

  it('drops and counts what a full buffer cannot take, without waiting, and flushes the rest', async () => {
    const r = await recorder({ bufferSize: 3 });
    const taken = Array.from({ length: 5 }, () => r.recordSearch(search()));
    expect(taken).toEqual([true, true, true, false, false]);
    expect(r.buffered).toBe(3);
    expect((await dropped('search')) - before).toBe(2);
    await r.flush();
    expect(r.buffered).toBe(0);
    expect(await r.store.topQueries(all)).toEqual([
      { index: 'books', query: 'dune', searches: 3, no_results: 0 },
    ]);
    // Room again after the flush.
    expect(r.recordSearch(search())).toBe(true);
    await r.close();
    await r.store.close();
  });

  it('records the sampled share of searches and events', async () => {
    const draws = [0.1, 0.9, 0.2, 0.8];
    let i = 0;
    const r = await recorder({ sampleRate: 0.5, random: () => draws[i++ % draws.length]! });
    expect([r.recordSearch(search()), r.recordSearch(search())]).toEqual([true, false]);
    const event = {
      at: NOW,
      type: 'click' as const,
      index: 'books',
      q: 'dune',
      id: 'dune',
      position: 1,
      principal: 'anonymous',
    };
    expect([r.recordEvent(event), r.recordEvent(event)]).toEqual([true, false]);
    await r.close();
    expect((await r.store.clicks(all))[0]).toMatchObject({ searches: 1, clicks: 1 });
    await r.store.close();
  });

  it('deletes rows older than the retention', async () => {
    const r = await recorder({ retentionMs: 7 * DAY });
    r.recordSearch(search({ at: NOW - 8 * DAY, input: { q: 'old' } }));
    r.recordSearch(search({ at: NOW - 6 * DAY, input: { q: 'recent' } }));
    await r.flush();
    expect(await r.retain()).toBe(1);
    expect((await r.store.topQueries(all)).map((q) => q.query)).toEqual(['recent']);
    await r.close();
    await r.store.close();
  });

  it('works out query, filter fields and total off the request, from any input form', () => {
    const filter = 'genre = "scifi" AND (pages > 100 OR author IN ["Herbert"]) AND NOT genre = "x"';
    expect(toSearchRecord(search({ input: { q: '  Dune   MESSIAH ', filter } }))).toEqual({
      at: NOW,
      index: 'books',
      query: 'dune messiah',
      filterFields: ['author', 'genre', 'pages'],
      hits: 2,
      latencyMs: 1.5,
      principal: 'anonymous',
    });
    const tree = { and: [{ term: { genre: 'scifi' } }, { range: { rating: { gte: 4 } } }] };
    expect(toSearchRecord(search({ input: { q: 'x', filter: tree } })).filterFields).toEqual([
      'genre',
      'rating',
    ]);
    const raw = toSearchRecord(
      search({ input: 'q=%C3%89mile+Zola&filter=genre%20%3D%20%22x%22', answer: Buffer.from(answer(0)) }),
    );
    expect(raw).toMatchObject({ query: 'émile zola', filterFields: ['genre'], hits: 0 });
    expect(toSearchRecord(search({ input: {} })).query).toBe('');
    // PostgreSQL text cannot hold NUL: control characters never reach a store.
    expect(toSearchRecord(search({ input: { q: 'a\u0000b\u001f\u007fc\n' } })).query).toBe('a b c');
  });

  it('reads the top-level total, not a document field of the same name', () => {
    const body = JSON.stringify({
      hits: [{ id: 'a', score: 1, document: { total: 99, total_relation: 'x' } }],
      total: 7,
      total_relation: 'gte',
      facets: { total: { buckets: [{ value: 'total_relation', count: 1 }] } },
      next_cursor: null,
      took_ms: 1,
      partial: false,
    });
    expect(toSearchRecord(search({ answer: body })).hits).toBe(7);
  });
});
