import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX, makeTestApp, type TestApp } from '../../support/app.js';

/**
 * JSON bodies carry real types and are validated without conversion; query strings are text and still convert.
 * Every case goes through a real listening server.
 */
let t: TestApp;
let base = '';
beforeAll(async () => {
  t = await makeTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t?.close();
});

async function send(method: string, path: string, body?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
  return { status: res.status, text, json: JSON.parse(text) as Record<string, any> };
}

interface Case {
  name: string;
  method: string;
  path: string;
  body: string;
  code: string;
  /** The message names the field and the problem. */
  message: string;
}

const CASES: Case[] = [
  {
    name: 'a number where the query text goes',
    method: 'POST',
    path: '/api/search',
    body: '{"q": 123}',
    code: 'INVALID_REQUEST',
    message: 'q: must be string',
  },
  {
    name: 'a numeric string as size',
    method: 'POST',
    path: '/api/search',
    body: '{"q": "dune", "size": "5"}',
    code: 'INVALID_REQUEST',
    message: 'size: must be integer',
  },
  {
    name: 'a boolean as size',
    method: 'POST',
    path: `/api/indexes/${INDEX}/search`,
    body: '{"size": true}',
    code: 'INVALID_REQUEST',
    message: 'size: must be integer',
  },
  {
    name: 'a string as page',
    method: 'POST',
    path: '/api/search',
    body: '{"page": "2"}',
    code: 'INVALID_REQUEST',
    message: 'page: must be integer',
  },
  {
    name: 'a number in the sort list',
    method: 'POST',
    path: '/api/search',
    body: '{"sort": [1]}',
    code: 'INVALID_REQUEST',
    message: 'sort[0]: must be string',
  },
  {
    name: 'a string where a facet option takes a boolean',
    method: 'POST',
    path: '/api/search',
    body: '{"facets": [{"field": "pages", "stats": "true"}]}',
    code: 'INVALID_REQUEST',
    message: 'facets[0].stats: must be boolean',
  },
  {
    name: 'a number as a highlight field',
    method: 'POST',
    path: '/api/search',
    body: '{"q": "dune", "highlight": {"fields": [1]}}',
    code: 'INVALID_REQUEST',
    message: 'highlight.fields[0]: must be string',
  },
  {
    name: 'null as the query text',
    method: 'POST',
    path: '/api/search',
    body: '{"q": null}',
    code: 'INVALID_REQUEST',
    message: 'q: must be string',
  },
  {
    name: 'a boolean in an API key index allowlist',
    method: 'POST',
    path: '/api/keys',
    body: '{"name": "ci", "scopes": ["search"], "indexes": [false]}',
    code: 'INVALID_REQUEST',
    message: 'indexes[0]: must be string',
  },
  {
    name: 'a number as an API key name',
    method: 'POST',
    path: '/api/keys',
    body: '{"name": 123, "scopes": ["search"]}',
    code: 'INVALID_REQUEST',
    message: 'name: must be string',
  },
  {
    name: 'a number as the parent of a scoped key',
    method: 'POST',
    path: '/api/keys/scoped',
    body: '{"parent": 123, "expires": "1h"}',
    code: 'INVALID_REQUEST',
    message: 'parent: must be string',
  },
  {
    name: 'a key named 123 among facet options',
    method: 'POST',
    path: '/api/search',
    body: '{"facets": {"pages": {"123": true}}}',
    code: 'INVALID_REQUEST',
    message: 'unknown field "123"',
  },
  {
    name: 'a string as a field option of an index schema',
    method: 'PUT',
    path: '/api/indexes/strict-types',
    body: '{"fields": {"id": {"type": "keyword", "sortable": "true"}, "t": {"type": "text"}}}',
    code: 'INVALID_SCHEMA',
    message: 'fields.id.sortable: must be boolean',
  },
  {
    name: 'a number as the id field of a reindex schema',
    method: 'POST',
    path: `/api/indexes/${INDEX}/reindex`,
    body: '{"schema": {"id_field": 1, "fields": {"id": {"type": "keyword"}}}}',
    code: 'INVALID_SCHEMA',
    message: 'schema.id_field: must be string',
  },
  {
    name: 'an expiry that is no duration or date, in words',
    method: 'POST',
    path: '/api/keys',
    body: '{"name": "ci", "scopes": ["search"], "expires": "next week"}',
    code: 'INVALID_REQUEST',
    message: 'expires: expected a duration like 8h, 30d or 2w, or an ISO-8601 date',
  },
  {
    name: 'an API key name of white space only',
    method: 'POST',
    path: '/api/keys',
    body: '{"name": "   ", "scopes": ["search"]}',
    code: 'INVALID_REQUEST',
    message: 'name: must hold something other than white space',
  },
  {
    name: 'an index schema field with an invalid name, named',
    method: 'PUT',
    path: '/api/indexes/strict-types',
    body: '{"fields": {"id": {"type": "keyword"}, "Title": {"type": "text"}}}',
    code: 'INVALID_SCHEMA',
    message: 'fields: name "Title" must match [a-z_][a-z0-9_]*',
  },
];

describe('JSON bodies are validated without type conversion', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await send(c.method, c.path, c.body);
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code, res.text).toBe(c.code);
    expect(res.json.error.message).toContain(c.message);
  });

  it('stored nothing for the refused key and index', async () => {
    const keys = await send('GET', '/api/keys');
    expect(keys.json.keys).toEqual([]);
    expect((await send('GET', '/api/indexes/strict-types')).status).toBe(404);
  });

  it('still takes well-typed bodies', async () => {
    const res = await send('POST', '/api/search', '{"q": "dune", "size": 1, "sort": ["-pages"]}');
    expect(res.status, res.text).toBe(200);
    expect(res.json.hits).toHaveLength(1);
    const created = await send(
      'POST',
      '/api/keys',
      '{"name": "ci", "scopes": ["search"], "indexes": ["books"]}',
    );
    expect(created.status, created.text).toBe(201);
    expect(created.json.indexes).toEqual(['books']);
  });
});

describe('query strings and path parameters still convert text', () => {
  it('reads size and page from the query string as integers', async () => {
    const res = await send('GET', `/api/indexes/${INDEX}/search?q=dune&size=1&page=2`);
    expect(res.status, res.text).toBe(200);
    expect(res.json.hits).toHaveLength(1);
  });

  it('reads size on suggest as an integer', async () => {
    const res = await send('GET', '/api/suggest?q=d&size=1');
    expect(res.status, res.text).toBe(200);
    expect(res.json.suggestions.length).toBeLessThanOrEqual(1);
  });

  it('still refuses query text that is not a number where one is expected', async () => {
    const res = await send('GET', '/api/search?size=five');
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'size: must be integer' });
  });
});
