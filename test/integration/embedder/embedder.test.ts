import { rmSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import { testConfig } from '../../support/app.js';
import { startEmbeddingServer, type EmbeddingServer } from '../../support/embedding-server.js';
import { send } from '../../support/http-client.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * A vector field's embedder against a real listening server on the embedded engine and a real embedding server
 * of the test's own (deterministic word-hash embeddings over HTTP): documents imported without vectors get them,
 * a search with only q is embedded, and an embedder that is down, slow or wrong refuses the write with a clear
 * error and writes nothing.
 */

const DIMS = 32;
const KEY_ENV = 'SIFT_TEST_EMBEDDER_KEY';
const KEY = 'test-key-8c1f';
const BOOKS = [
  { id: 'dune', name: 'Dune', summary: 'desert planet spice melange sandworms', genre: 'scifi' },
  { id: 'hobbit', name: 'The Hobbit', summary: 'dragon treasure dwarves mountain journey', genre: 'fantasy' },
  {
    id: 'neuromancer',
    name: 'Neuromancer',
    summary: 'cyberspace hacker matrix console cowboy',
    genre: 'scifi',
  },
  { id: 'pride', name: 'Pride and Prejudice', summary: 'marriage manners regency england', genre: 'classic' },
  { id: 'foundation', name: 'Foundation', summary: 'galactic empire psychohistory collapse', genre: 'scifi' },
];
const textOf = (b: { name: string; summary: string }) => `${b.name}\n${b.summary}`;

interface Hits {
  hits: { id: string; score: number }[];
}

describe('embedders over HTTP', { timeout: 120_000 }, () => {
  const dataDir = tempDir('sift-embedder-').path;
  let server: RunningServer;
  let embedder: EmbeddingServer;
  let base: string;
  const schema = (url: string, extra: Record<string, unknown> = {}) => ({
    fields: {
      id: { type: 'keyword' },
      name: { type: 'text' },
      summary: { type: 'text' },
      genre: { type: 'keyword', facet: true },
      embedding: {
        type: 'vector',
        dimensions: DIMS,
        embedder: {
          source: 'rest',
          url,
          model: 'hash-32',
          fields: ['name', 'summary'],
          api_key_env: KEY_ENV,
          batch_size: 2,
          timeout_ms: 300,
          retries: 2,
          ...extra,
        },
      },
    },
  });
  const search = async (body: unknown, index = base) => {
    const res = await send(`${index}/search`, { method: 'POST', body });
    expect(res.status, res.body).toBe(200);
    return JSON.parse(res.body) as Hits;
  };
  const exists = async (id: string) => (await send(`${base}/documents/${id}`)).status === 200;

  beforeAll(async () => {
    process.env[KEY_ENV] = KEY;
    embedder = await startEmbeddingServer(DIMS);
    // The response cache would answer repeated searches before the service: off, so each reaches the embedder.
    server = await startServer(
      testConfig(dataDir, { EMBEDDER_DEADLINE_MS: '3000', CACHE_TTL_SECONDS: '0' }),
      { handleSignals: false },
    );
    base = `${server.url}/api/indexes/books`;
    const put = await send(base, { method: 'PUT', body: schema(embedder.url) });
    expect(put.status, put.body).toBeLessThan(300);
    const imported = await send(`${base}/documents`, { method: 'POST', body: BOOKS });
    expect(imported.status, imported.body).toBe(200);
    expect(JSON.parse(imported.body)).toMatchObject({ indexed: 5, failed: 0 });
  });
  afterAll(async () => {
    await server?.stop();
    await embedder?.close();
    delete process.env[KEY_ENV];
    rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    embedder.mode = 'ok';
    embedder.failNext(0);
  });

  it('embeds imported documents in batches, with the key from the named variable', () => {
    // Batches go out a few at a time, so they may arrive in any order.
    const imports = embedder.requests.slice(0, 3);
    expect(imports.map((r) => r.input.length).sort()).toEqual([1, 2, 2]);
    expect(imports.flatMap((r) => r.input).sort()).toEqual(BOOKS.map(textOf).sort());
    expect(new Set(embedder.requests.map((r) => r.authorization))).toEqual(new Set([`Bearer ${KEY}`]));
    expect(embedder.requests[0]!.model).toBe('hash-32');
  });

  it('stores the embedding of the source text: a kNN search with it finds the document first', async () => {
    for (const book of BOOKS) {
      const { hits } = await search({ vector: embedder.embed(textOf(book)), k: 2 });
      expect(hits[0]).toMatchObject({ id: book.id });
      expect(hits[0]!.score).toBeCloseTo(1, 5);
    }
  });

  it('finds documents by text alone: a semantic search and a hybrid one with only q', async () => {
    // No document holds "on" or "a", so the text side finds nothing: the hit is the vector side's.
    const semantic = await search({ q: 'sandworms on a desert planet', hybrid: { semantic_ratio: 1 }, k: 3 });
    expect(semantic.hits[0]!.id).toBe('dune');
    const hybrid = await search({ q: 'dragon treasure', hybrid: {}, size: 3 });
    expect(hybrid.hits[0]!.id).toBe('hobbit');
    const rrf = await search({
      q: 'cyberspace hacker',
      hybrid: { fusion: 'rrf' },
      filter: 'genre = "scifi"',
    });
    expect(rrf.hits[0]!.id).toBe('neuromancer');
    expect(rrf.hits.every((h) => BOOKS.find((b) => b.id === h.id)!.genre === 'scifi')).toBe(true);
  });

  it('embeds a repeated query once', async () => {
    await search({ q: 'galactic empire', hybrid: {}, size: 2 });
    const before = embedder.requests.length;
    const again = await search({ q: 'galactic empire', hybrid: {}, size: 3 });
    expect(again.hits[0]!.id).toBe('foundation');
    expect(embedder.requests.length).toBe(before);
  });

  it('refuses a write when the embedder is down, writing nothing, and keeps documents that carry their vector', async () => {
    embedder.mode = 'fail';
    const put = await send(`${base}/documents/lost`, {
      method: 'PUT',
      body: { id: 'lost', name: 'Lost', summary: 'nothing' },
    });
    expect(put.status, put.body).toBe(503);
    expect(put.headers['retry-after']).toBeDefined();
    expect(JSON.parse(put.body)).toMatchObject({
      error: { code: 'EMBEDDER_UNAVAILABLE', details: { field: 'embedding' } },
    });
    expect(await exists('lost')).toBe(false);

    const batch = await send(`${base}/documents`, {
      method: 'POST',
      body: [
        { id: 'lost2', name: 'Lost again', summary: 'nothing' },
        { id: 'own', name: 'Own vector', summary: 'carried', embedding: embedder.embed('own') },
      ],
    });
    expect(batch.status, batch.body).toBe(200);
    expect(JSON.parse(batch.body)).toMatchObject({
      indexed: 1,
      failed: 1,
      items: [
        { index: 0, status: 503, error: { code: 'EMBEDDER_UNAVAILABLE' } },
        { index: 1, status: 201 },
      ],
    });
    expect(await exists('lost2')).toBe(false);
    expect(await exists('own')).toBe(true);

    const query = await send(`${base}/search`, { method: 'POST', body: { q: 'anything new', hybrid: {} } });
    expect(query.status, query.body).toBe(503);
    expect(JSON.parse(query.body)).toMatchObject({ error: { code: 'EMBEDDER_UNAVAILABLE' } });
  });

  it('refuses a write when the embedder does not answer within its timeout', async () => {
    embedder.mode = 'hang';
    const put = await send(`${base}/documents/slow`, {
      method: 'PUT',
      body: { id: 'slow', name: 'Slow', summary: 'waiting' },
    });
    expect(put.status, put.body).toBe(503);
    expect(JSON.parse(put.body).error.message).toMatch(/no answer within|deadline/);
    expect(await exists('slow')).toBe(false);
  });

  it('retries after a failure and stores the document', async () => {
    embedder.failNext(1);
    const before = embedder.requests.length;
    const put = await send(`${base}/documents/retried`, {
      method: 'PUT',
      body: { id: 'retried', name: 'Retried', summary: 'second time lucky' },
    });
    expect(put.status, put.body).toBe(201);
    expect(embedder.requests.length - before).toBe(2);
    const { hits } = await search({ vector: embedder.embed('Retried\nsecond time lucky'), k: 1 });
    expect(hits[0]!.id).toBe('retried');
  });

  it('refuses vectors of the wrong length from the embedder (502), writing nothing', async () => {
    embedder.mode = 'wrong-dimensions';
    const put = await send(`${base}/documents/wrong`, {
      method: 'PUT',
      body: { id: 'wrong', name: 'Wrong', summary: 'too long' },
    });
    expect(put.status, put.body).toBe(502);
    expect(JSON.parse(put.body)).toMatchObject({
      error: { code: 'EMBEDDER_FAILED', details: { field: 'embedding' } },
    });
    expect(JSON.parse(put.body).error.message).toMatch(/33 numbers; the field holds 32/);
    expect(await exists('wrong')).toBe(false);
  });

  it('embeds a patched document again when its source text changes, and refuses the patch when it cannot', async () => {
    const before = embedder.requests.length;
    const genre = await send(`${base}/documents/pride`, { method: 'PATCH', body: { genre: 'romance' } });
    expect(genre.status, genre.body).toBe(200);
    expect(embedder.requests.length).toBe(before);

    const summary = 'sandworms and spice in regency england';
    const patched = await send(`${base}/documents/pride`, { method: 'PATCH', body: { summary } });
    expect(patched.status, patched.body).toBe(200);
    const { hits } = await search({ vector: embedder.embed(`Pride and Prejudice\n${summary}`), k: 1 });
    expect(hits[0]).toMatchObject({ id: 'pride' });
    expect(hits[0]!.score).toBeCloseTo(1, 5);

    embedder.mode = 'fail';
    const refused = await send(`${base}/documents/pride`, { method: 'PATCH', body: { summary: 'changed' } });
    expect(refused.status, refused.body).toBe(503);
    const stored = JSON.parse((await send(`${base}/documents/pride`)).body) as {
      document: { summary: string };
    };
    expect(stored.document.summary).toBe(summary);
  });

  it('refuses an update by filter that sets an embedded source field', async () => {
    const res = await send(`${base}/documents/update-by-filter`, {
      method: 'POST',
      body: { filter: 'genre = "scifi"', set: { summary: 'x' } },
    });
    expect(res.status, res.body).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({
      error: { code: 'INVALID_REQUEST', details: { field: 'summary' } },
    });
  });

  it('refuses an embedder URL that is not http or https, and a missing key variable (502)', async () => {
    const bad = await send(`${server.url}/api/indexes/bad-url`, {
      method: 'PUT',
      body: schema('file:///etc/passwd'),
    });
    expect(bad.status, bad.body).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({
      error: { code: 'INVALID_SCHEMA', details: { field: 'embedding' } },
    });

    const noKey = `${server.url}/api/indexes/no-key`;
    const put = await send(noKey, {
      method: 'PUT',
      body: schema(embedder.url, { api_key_env: 'SIFT_TEST_NO_SUCH_KEY' }),
    });
    expect(put.status, put.body).toBeLessThan(300);
    const doc = await send(`${noKey}/documents/a`, {
      method: 'PUT',
      body: { id: 'a', name: 'A', summary: 'b' },
    });
    expect(doc.status, doc.body).toBe(502);
    expect(JSON.parse(doc.body).error.message).toMatch(/SIFT_TEST_NO_SUCH_KEY is not set/);
    expect(doc.body).not.toContain(KEY);
  });

  it("embeds documents of a streamed import (the CLI's bulk load), refusing those it cannot embed", async () => {
    const name = 'bulk';
    expect(
      (await send(`${server.url}/api/indexes/${name}`, { method: 'PUT', body: schema(embedder.url) })).status,
    ).toBe(201);
    async function* batches() {
      yield BOOKS.slice(0, 3);
      embedder.mode = 'fail';
      yield [BOOKS[3]!, { ...BOOKS[4]!, embedding: embedder.embed('own') }];
    }
    const results: {
      indexed: number;
      failed: number;
      items: { status: number; error?: { code: string } }[];
    }[] = [];
    const { mode } = await server.service.importStream(name, batches(), {
      written: (r) => results.push(r),
      durable: () => undefined,
    });
    expect(mode).toBe('rebuild');
    expect(results.map((r) => [r.indexed, r.failed])).toEqual([
      [3, 0],
      [1, 1],
    ]);
    expect(results[1]!.items[0]).toMatchObject({ status: 503, error: { code: 'EMBEDDER_UNAVAILABLE' } });
    embedder.mode = 'ok';
    const { hits } = await search(
      { vector: embedder.embed(textOf(BOOKS[1]!)), k: 1 },
      `${server.url}/api/indexes/${name}`,
    );
    expect(hits[0]!.id).toBe('hobbit');
  });
});
