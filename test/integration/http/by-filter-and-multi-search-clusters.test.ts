// @services opensearch, elasticsearch
/**
 * Writes by filter and federated multi-search over HTTP on the cluster engines: a real listening server over a
 * real OpenSearch and Elasticsearch node, with the response cache on.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, limitsFromConfig } from '../../../src/app.js';
import type { Engine } from '../../../src/engines/engine.js';
import { buildEngineStack } from '../../../src/service/engine-stack.js';
import { SearchService } from '../../../src/service/search-service.js';
import { DOCS, SCHEMA, testConfig } from '../../support/app.js';
import { clusterEngine, type Product } from '../../support/cluster.js';
import { tempDir } from '../../support/temp-dir.js';

interface Hit {
  id: string;
  index: string;
  score: number;
}

describe.each<Product>(['opensearch', 'elasticsearch'])('by filter and multi-search on %s', (product) => {
  const dir = tempDir('sift-cluster-http-');
  let engine: Engine;
  let app: FastifyInstance;
  let url: string;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
    });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const ids = async (index: string, filter: string) => {
    const res = await call(
      'GET',
      `/api/indexes/${index}/search?filter=${encodeURIComponent(filter)}&size=50`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.hits as { id: string }[]).map((h) => h.id).sort();
  };

  beforeAll(async () => {
    const config = testConfig(dir.path, { CACHE_TTL_SECONDS: '600' });
    engine = clusterEngine(product);
    const stack = buildEngineStack(config, engine, null);
    const service = new SearchService(stack.engine, limitsFromConfig(config));
    for (const [index, docs] of [
      ['books', DOCS],
      ['other', DOCS.slice(0, 2)],
    ] as const) {
      await service.putIndex(index, SCHEMA);
      expect((await service.importDocuments(index, [...docs])).failed).toBe(0);
    }
    app = await buildApp({ config, service, logger: false, cache: stack.store });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await engine?.close();
    dir.remove();
  });

  it('deletes and updates by filter, seen by the next (cached) search', async () => {
    const fantasy = ['earthsea', 'hobbit', 'silmarillion'];
    expect(await ids('books', 'genre = fantasy')).toEqual(fantasy);
    const path = '/api/indexes/books/documents';
    expect(
      (await call('POST', `${path}/delete-by-filter`, { filter: 'genre = fantasy', dry_run: true })).body,
    ).toEqual({ dry_run: true, matched: 3, limit: 1000, over_limit: false, deleted: 0 });
    const refused = await call('POST', `${path}/delete-by-filter`, { filter: 'genre = fantasy', limit: 2 });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'TOO_MANY_MATCHES']);
    expect(await ids('books', 'genre = fantasy')).toEqual(fantasy);
    expect(
      (await call('POST', `${path}/delete-by-filter`, { filter: 'genre = fantasy' })).body,
    ).toMatchObject({
      deleted: 3,
    });
    expect(await ids('books', 'genre = fantasy')).toEqual([]);

    expect(await ids('books', 'genre = classic AND rating = 5')).toEqual([]);
    const updated = await call('POST', `${path}/update-by-filter`, {
      filter: 'genre = classic',
      set: { rating: 5 },
    });
    expect(updated.body).toEqual({ dry_run: false, matched: 2, limit: 1000, updated: 2 });
    expect(await ids('books', 'genre = classic AND rating = 5')).toEqual(['emma', 'persuasion']);
  }, 120_000);

  it('merges a federated multi-search by normalised, weighted scores, each hit labelled with its index', async () => {
    const res = await call('POST', '/api/multi-search', {
      federation: { limit: 10 },
      searches: [
        { index: 'books', q: 'desert planet' },
        { index: 'other', q: 'dune', weight: 2 },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const hits = res.body.hits as Hit[];
    expect(hits[0]).toMatchObject({ index: 'other', score: 2 });
    expect(hits.map((h) => `${h.index}/${h.id}`).sort()).toEqual([
      'books/dune',
      'books/dune-messiah',
      'other/dune',
      'other/dune-messiah',
    ]);
    const scores = hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(Math.max(...hits.filter((h) => h.index === 'books').map((h) => h.score))).toBe(1);
    expect(res.body.partial).toBe(false);
  }, 60_000);
});
