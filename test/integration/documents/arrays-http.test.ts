import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import { testConfig } from '../../support/app.js';
import { tempDir } from '../../support/temp-dir.js';
import { send } from '../../support/http-client.js';

/**
 * Arrays and nested objects over HTTP, against a real listening server on the embedded engine: the schema, the
 * batch import, an array filter with its disjunctive facet, the nested `fields` projection and the 400s.
 */

const INDEX = 'shelf';
const SCHEMA = {
  id_field: 'id',
  fields: {
    id: { type: 'keyword' },
    title: { type: 'text' },
    tags: { type: 'keyword', array: true, facet: true, sortable: true },
    'author.name': { type: 'keyword', facet: true },
  },
};
const DOCS = [
  { id: 'a', title: 'Guards', tags: ['fantasy', 'humor'], author: { name: 'Pratchett' } },
  { id: 'b', title: 'Guide', tags: ['humor', 'scifi'], author: { name: 'Adams' } },
  { id: 'c', title: 'Rings', tags: ['fantasy'], author: { name: 'Tolkien' } },
];

interface SearchBody {
  total: number;
  hits: { id: string; document: Record<string, unknown> }[];
  facets: Record<string, { buckets: { value: unknown; count: number }[] }>;
}

describe('arrays and objects over HTTP', { timeout: 120_000 }, () => {
  const dataDir = tempDir('sift-arrays-http-').path;
  let server: RunningServer;
  let base: string;
  beforeAll(async () => {
    server = await startServer(testConfig(dataDir), { handleSignals: false });
    base = `${server.url}/api/indexes/${INDEX}`;
    const put = await send(base, { method: 'PUT', body: SCHEMA });
    expect(put.status, put.body).toBeLessThan(300);
    const imported = await send(`${base}/documents`, { method: 'POST', body: DOCS });
    expect(imported.status, imported.body).toBe(200);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads the array and path options back from the schema', async () => {
    const res = await send(base);
    expect(res.status).toBe(200);
    const { schema } = JSON.parse(res.body) as { schema: { fields: Record<string, { array?: boolean }> } };
    expect(schema.fields.tags!.array).toBe(true);
    expect(schema.fields['author.name']).toBeDefined();
    expect(schema.fields.title).not.toHaveProperty('array');
  });

  it('filters an array by any element and counts its facet per value, disjunctively (GET and POST)', async () => {
    const query = new URLSearchParams({
      filter: 'tags = "humor"',
      facets: 'tags,author.name',
      sort: 'id',
      fields: 'tags,author.name',
    });
    const get = await send(`${base}/search?${query.toString()}`);
    expect(get.status, get.body).toBe(200);
    const body = JSON.parse(get.body) as SearchBody;
    expect(body.hits.map((h) => h.id)).toEqual(['a', 'b']);
    expect(body.hits[0]!.document).toEqual({ tags: ['fantasy', 'humor'], author: { name: 'Pratchett' } });
    // The tags facet ignores its own condition: every document's tags, each counted once per document.
    expect(body.facets.tags!.buckets).toEqual([
      { value: 'fantasy', count: 2 },
      { value: 'humor', count: 2 },
      { value: 'scifi', count: 1 },
    ]);
    expect(body.facets['author.name']!.buckets).toEqual([
      { value: 'Adams', count: 1 },
      { value: 'Pratchett', count: 1 },
    ]);
    const post = await send(`${base}/search`, {
      method: 'POST',
      body: { filter: { all: { tags: ['fantasy', 'humor'] } }, facets: ['tags'] },
    });
    expect(post.status, post.body).toBe(200);
    expect((JSON.parse(post.body) as SearchBody).hits.map((h) => h.id)).toEqual(['a']);
  });

  it('answers 400 naming the field and the element of a bad array', async () => {
    const wrong = await send(`${base}/documents/d`, {
      method: 'PUT',
      body: { id: 'd', tags: ['ok', 5.5, {}] },
    });
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body)).toMatchObject({
      error: { code: 'INVALID_DOCUMENT', message: 'field "tags[2]": expects a string, got object' },
    });
    const scalar = await send(`${base}/documents/d`, {
      method: 'PUT',
      body: { id: 'd', author: { name: ['x', 'y'] } },
    });
    expect(scalar.status).toBe(400);
    expect(JSON.parse(scalar.body)).toMatchObject({
      error: { code: 'INVALID_DOCUMENT', message: expect.stringContaining('field "author.name"') },
    });
    const schema = await send(`${server.url}/api/indexes/shelf-bad`, {
      method: 'PUT',
      body: { fields: { id: { type: 'keyword' }, t: { type: 'text' }, 'a.b.c.d.e': { type: 'keyword' } } },
    });
    expect(schema.status).toBe(400);
    expect(JSON.parse(schema.body)).toMatchObject({ error: { code: 'INVALID_SCHEMA' } });
    expect((await send(`${base}/documents/d`)).status).toBe(404);
  });
});
