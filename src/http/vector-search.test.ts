import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeTestApp, type TestApp } from '../../test/support/app.js';

/** Vector search over HTTP: the schema, documents and POST searches as a client sends them, and what is refused. */
let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp({}, { empty: true });
  const put = await t.app.inject({
    method: 'PUT',
    url: '/api/indexes/shelf',
    payload: {
      fields: {
        id: { type: 'keyword' },
        title: { type: 'text' },
        genre: { type: 'keyword', facet: true },
        v: { type: 'vector', dimensions: 3, similarity: 'cosine' },
      },
    },
  });
  expect(put.statusCode, put.body).toBe(201);
  const docs = [
    { id: 'a', title: 'red fox', genre: 'x', v: [1, 0, 0] },
    { id: 'b', title: 'red dog', genre: 'y', v: [0, 1, 0] },
    { id: 'c', title: 'blue fox', genre: 'x', v: [0.9, 0.1, 0] },
  ];
  const load = await t.app.inject({ method: 'POST', url: '/api/indexes/shelf/documents', payload: docs });
  expect(load.statusCode, load.body).toBeLessThan(300);
});
afterAll(async () => {
  await t?.close();
});

const post = (payload: unknown) =>
  t.app.inject({ method: 'POST', url: '/api/indexes/shelf/search', payload: payload as object });

describe('vector search over HTTP', () => {
  it('reads the vector field back as it was written, and answers a kNN search with scores and facets', async () => {
    const schema = json(await t.app.inject({ method: 'GET', url: '/api/indexes/shelf' })).schema;
    expect(schema.fields.v).toMatchObject({
      type: 'vector',
      dimensions: 3,
      similarity: 'cosine',
      index: true,
    });
    const res = await post({ vector: [1, 0, 0], k: 2, facets: ['genre'] });
    expect(res.statusCode, res.body).toBe(200);
    const body = json(res);
    expect(body.hits.map((h: { id: string }) => h.id)).toEqual(['a', 'c']);
    expect(body.hits[0].score).toBeCloseTo(1, 5);
    // Not returned by default: vectors are large.
    expect(body.hits[0].document).toEqual({ id: 'a', title: 'red fox', genre: 'x' });
    expect(body.total).toBe(2);
    expect(body.facets.genre.buckets).toEqual([{ value: 'x', count: 2 }]);
  });

  it('answers a hybrid search', async () => {
    const res = await post({ q: 'fox', vector: [0, 1, 0], hybrid: { fusion: 'rrf' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).hits.map((h: { id: string }) => h.id)).toContain('b');
  });

  it('refuses bad vectors with a 4xx in the envelope, naming the field', async () => {
    const cases: [unknown, number, string, string?][] = [
      [{ vector: [1, 0] }, 400, 'INVALID_REQUEST', 'vector'],
      [{ vector: ['1', 0, 0] }, 400, 'INVALID_REQUEST', 'vector'],
      [{ vector: [] }, 400, 'INVALID_REQUEST', 'vector'],
      [{ vector: [1, 0, 0], vector_field: 'genre' }, 400, 'INVALID_FIELD'],
      [{ vector: [1, 0, 0], k: 0 }, 400, 'INVALID_REQUEST', 'k'],
      [{ vector: [1, 0, 0], hybrid: { fusion: 'rrf' } }, 400, 'INVALID_REQUEST', 'hybrid'],
      [
        { q: 'fox', vector: [1, 0, 0], hybrid: { semantic_ratio: 2 } },
        400,
        'INVALID_REQUEST',
        'semantic_ratio',
      ],
    ];
    for (const [payload, status, code, names] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(json(res).error.code, res.body).toBe(code);
      if (names) expect(json(res).error.message, res.body).toContain(names);
    }
    const doc = await t.app.inject({
      method: 'PUT',
      url: '/api/indexes/shelf/documents/z',
      payload: { id: 'z', v: [1, 0] },
    });
    expect(doc.statusCode).toBe(400);
    expect(json(doc).error).toMatchObject({ code: 'INVALID_DOCUMENT', details: { field: 'v' } });
  });

  it('takes no vector in a GET search', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/indexes/shelf/search?vector=1,0,0' });
    expect(res.statusCode).toBe(400);
    expect(json(res).error.code).toBe('INVALID_REQUEST');
  });
});
