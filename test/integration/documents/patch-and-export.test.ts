import { get as httpGet, type IncomingMessage } from 'node:http';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import { DOCS, INDEX, SCHEMA, testConfig } from '../../support/app.js';
import { tempDir } from '../../support/temp-dir.js';
import { metricValue, send } from '../../support/http-client.js';

/** Partial updates and export over HTTP, against a real listening server on the embedded engine. */

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const raw = (url: string, method: string, contentType: string, body: string) =>
  fetch(url, { method, headers: { 'content-type': contentType }, body });

/** Pages of exports the engine has read (the embedded engine pages an export with exportPage). */
const exportPages = async (server: RunningServer) =>
  metricValue((await send(`${server.url}/metrics`)).body, 'sift_engine_request_duration_seconds_count', {
    operation: 'exportPage',
  });

describe('PATCH and export of documents', { timeout: 120_000 }, () => {
  const dataDir = tempDir('sift-patch-export-').path;
  let server: RunningServer;
  let base: string;
  beforeAll(async () => {
    server = await startServer(testConfig(dataDir, { CACHE_TTL_SECONDS: '600' }), { handleSignals: false });
    await server.service.putIndex(INDEX, SCHEMA);
    await server.service.importDocuments(INDEX, DOCS);
    base = `${server.url}/api/indexes/${INDEX}`;
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('merges a patch (RFC 7396) sent as merge-patch+json or JSON, and the next search sees it', async () => {
    const search = `${base}/search?q=dune&fields=pages,rating`;
    await send(search);
    expect((await send(search)).headers['x-cache']).toBe('HIT');
    const res = await raw(
      `${base}/documents/dune`,
      'PATCH',
      'application/merge-patch+json',
      JSON.stringify({ pages: 413, rating: null }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; result: string; document: Record<string, unknown> };
    expect(body).toMatchObject({ id: 'dune', result: 'updated' });
    expect(body.document).toMatchObject({ id: 'dune', title: 'Dune', pages: 413, author: 'Herbert' });
    expect(body.document).not.toHaveProperty('rating');
    // The write invalidated the cached answer.
    const after = await send(search);
    expect(after.headers['x-cache']).toBe('MISS');
    const hit = (
      JSON.parse(after.body) as { hits: { id: string; document: Record<string, unknown> }[] }
    ).hits.find((h) => h.id === 'dune')!;
    expect(hit.document).toEqual({ pages: 413 });
    const plain = await send(`${base}/documents/dune`, { method: 'PATCH', body: { rating: 4.5 } });
    expect(plain.status).toBe(200);
    const stored = JSON.parse((await send(`${base}/documents/dune`)).body) as {
      document: Record<string, unknown>;
    };
    expect(stored.document).toMatchObject({ pages: 413, rating: 4.5, title: 'Dune' });
  });

  it('refuses bad patches with stable codes and writes nothing', async () => {
    const url = `${base}/documents/foundation`;
    const before = (await send(url)).body;
    const cases: [string, string, number, string, string?][] = [
      ['application/merge-patch+json', '{"pages":"many"}', 400, 'INVALID_DOCUMENT', 'pages'],
      ['application/merge-patch+json', '{"nosuch":1}', 400, 'INVALID_DOCUMENT', 'nosuch'],
      ['application/merge-patch+json', '{"id":"other"}', 400, 'INVALID_DOCUMENT', 'id'],
      ['application/merge-patch+json', '[1]', 400, 'INVALID_PATCH'],
      ['application/json', 'null', 400, 'INVALID_PATCH'],
      ['application/merge-patch+json', '{"pages":', 400, 'INVALID_JSON'],
      ['application/merge-patch+json', '', 400, 'INVALID_JSON'],
      ['text/plain', '{"pages":1}', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ];
    for (const [type, body, status, code, field] of cases) {
      const res = await raw(url, 'PATCH', type, body);
      const err = (await res.json()) as ErrorBody;
      expect([body, res.status, err.error.code], err.error.message).toEqual([body, status, code]);
      if (field) expect(err.error.details?.field).toBe(field);
    }
    expect((await send(url)).body).toBe(before);
    const missing = await send(`${base}/documents/no-such-book`, { method: 'PATCH', body: { pages: 1 } });
    expect([missing.status, (JSON.parse(missing.body) as ErrorBody).error.code]).toEqual([
      404,
      'DOCUMENT_NOT_FOUND',
    ]);
    expect((await send(`${base}/documents/no-such-book`)).status).toBe(404);
    const noIndex = await send(`${server.url}/api/indexes/nope/documents/x`, { method: 'PATCH', body: {} });
    expect([noIndex.status, (JSON.parse(noIndex.body) as ErrorBody).error.code]).toEqual([
      404,
      'INDEX_NOT_FOUND',
    ]);
  });

  it('never loses a field when patches of one document arrive at once', async () => {
    const fields = {
      pages: 999,
      rating: 1.5,
      genre: 'classic',
      author: 'Someone',
      in_print: false,
      summary: 'x',
    };
    const answers = await Promise.all(
      Object.entries(fields).map(([k, v]) =>
        send(`${base}/documents/hyperion`, { method: 'PATCH', body: { [k]: v } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const stored = JSON.parse((await send(`${base}/documents/hyperion`)).body) as { document: object };
    expect(stored.document).toMatchObject({ ...fields, title: 'Hyperion' });
  });

  it('patches a batch, as a JSON array or NDJSON, reporting each item', async () => {
    const items = [
      { id: 'earthsea', patch: { pages: 184 } },
      { id: 'earthsea', patch: { pages: 'x' } },
      { id: 'missing', patch: { pages: 1 } },
      { id: 'earthsea', patch: { rating: null } },
    ];
    const json = await send(`${base}/documents`, { method: 'PATCH', body: items });
    expect(json.status).toBe(200);
    const res = JSON.parse(json.body) as { updated: number; failed: number; items: { status: number }[] };
    expect([res.updated, res.failed, res.items.map((i) => i.status)]).toEqual([2, 2, [200, 400, 404, 200]]);
    const stored = JSON.parse((await send(`${base}/documents/earthsea`)).body) as { document: object };
    expect(stored.document).toMatchObject({ pages: 184 });
    expect(stored.document).not.toHaveProperty('rating');

    const ndjson = await raw(
      `${base}/documents`,
      'PATCH',
      'application/x-ndjson',
      '{"id":"earthsea","patch":{"pages":185}}\nnot json\n{"id":"earthsea"}\n',
    );
    const nd = (await ndjson.json()) as { updated: number; items: { error?: { code: string } }[] };
    expect(nd.updated).toBe(1);
    expect(nd.items.map((i) => i.error?.code)).toEqual([undefined, 'INVALID_JSON', 'INVALID_PATCH']);
    const notArray = await send(`${base}/documents`, { method: 'PATCH', body: { id: 'x' } });
    expect(notArray.status).toBe(400);
  });

  it('exports every document as NDJSON in id order, by filter, and resumes after an id', async () => {
    const all = await fetch(`${base}/export`);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await all.text()).split('\n').filter(Boolean);
    const docs = lines.map((l) => JSON.parse(l) as { id: string });
    const ids = docs.map((d) => d.id);
    expect(ids).toEqual(DOCS.map((d) => d.id).sort());
    // Every stored field, as GET returns it.
    const dune = JSON.parse((await send(`${base}/documents/dune`)).body) as { document: object };
    expect(docs.find((d) => d.id === 'dune')).toEqual(dune.document);

    const tolkien = await (
      await fetch(`${base}/export?filter=${encodeURIComponent('author = "Tolkien"')}`)
    ).text();
    expect(
      tolkien
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(['hobbit', 'silmarillion']);
    const rest = await (await fetch(`${base}/export?after=${encodeURIComponent(ids[3]!)}`)).text();
    expect(
      rest
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(ids.slice(4));

    const missing = await fetch(`${server.url}/api/indexes/nope/export`);
    expect([missing.status, ((await missing.json()) as ErrorBody).error.code]).toEqual([
      404,
      'INDEX_NOT_FOUND',
    ]);
    const badFilter = await fetch(`${base}/export?filter=${encodeURIComponent('nosuch = 1')}`);
    expect([badFilter.status, ((await badFilter.json()) as ErrorBody).error.code]).toEqual([
      400,
      'INVALID_FILTER',
    ]);
  });

  it('reads the engine only as fast as the client takes the export (backpressure), and completes', async () => {
    const index = 'export-big';
    await server.service.putIndex(index, SCHEMA);
    const N = 20_000;
    const pad = 'p'.repeat(1000);
    const big = Array.from({ length: N }, (_, i) => ({
      id: `b-${String(i).padStart(6, '0')}`,
      summary: pad,
    }));
    expect((await server.service.importDocuments(index, big)).failed).toBe(0);
    // 20,000 documents of about 1 KB are 40 pages of 500 and about 20 MB; a client that reads nothing holds the
    // server to what the socket buffers take, a few MB, so only a few pages are read.
    const before = await exportPages(server);
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet(`${server.url}/api/indexes/${index}/export`, { agent: false }, resolve).on('error', reject),
    );
    expect(res.statusCode).toBe(200);
    res.pause();
    await sleep(1500);
    const whilePaused = (await exportPages(server)) - before;
    expect(whilePaused).toBeGreaterThan(0);
    expect(whilePaused).toBeLessThan(N / 500 / 2);
    let count = 0;
    let tail = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const parts = (tail + chunk).split('\n');
      tail = parts.pop()!;
      count += parts.length;
    });
    res.resume();
    await new Promise((resolve) => res.on('end', resolve));
    expect([count, tail]).toEqual([N, '']);
    await server.service.dropIndex(index);
  });
});
