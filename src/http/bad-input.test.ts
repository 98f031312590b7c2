import { deflateSync, gzipSync } from 'node:zlib';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX, json, makeTestApp, type TestApp } from '../../test/support/app.js';

let t: TestApp;
let small: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
  small = await makeTestApp({ BODY_LIMIT_BYTES: '1024' });
});
afterAll(async () => {
  await t?.close();
  await small?.close();
});

const JSON_TYPE = { 'content-type': 'application/json' };
const NDJSON_TYPE = { 'content-type': 'application/x-ndjson' };
const enc = encodeURIComponent;

interface Case {
  name: string;
  req: InjectOptions;
  status: number;
  code: string;
  /** Text the message must contain (the parameter or field it names, the problem). */
  message?: string | RegExp;
  details?: Record<string, unknown>;
  app?: () => TestApp;
}

const search = (qs: string): InjectOptions => ({ method: 'GET', url: `/api/indexes/${INDEX}/search?${qs}` });
const postSearch = (
  payload: string | Buffer,
  headers: Record<string, string> = JSON_TYPE,
): InjectOptions => ({
  method: 'POST',
  url: `/api/search`,
  headers,
  payload,
});
const batch = (payload: string | Buffer, headers: Record<string, string> = JSON_TYPE): InjectOptions => ({
  method: 'POST',
  url: `/api/indexes/${INDEX}/documents`,
  headers,
  payload,
});

// A cursor issued for one query, replayed with another.
let foreignCursor = '';

const CASES: Case[] = [
  // Query parameters: unknown, wrong types, out of range.
  {
    name: 'unknown query parameter',
    req: search('foo=1'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'unknown parameter "foo"',
    details: { field: 'foo' },
  },
  {
    name: 'unknown parameter on suggest',
    req: { method: 'GET', url: '/api/suggest?q=a&limit=3' },
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'unknown parameter "limit"',
  },
  {
    name: 'size not a number',
    req: search('size=ten'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'size: must be integer',
  },
  { name: 'size fractional', req: search('size=1.5'), status: 400, code: 'INVALID_REQUEST', message: 'size' },
  {
    name: 'size=-1',
    req: search('size=-1'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'size: must be >= 0',
  },
  {
    name: 'size=1000 (over MAX_PAGE_SIZE)',
    req: search('size=1000'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'size: must be <= 100',
  },
  { name: 'size=1e400', req: search('size=1e400'), status: 400, code: 'INVALID_REQUEST', message: 'size' },
  {
    name: 'size=99999999999999999999',
    req: search('size=99999999999999999999'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'size',
  },
  {
    name: 'page=0',
    req: search('page=0'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'page: must be >= 1',
  },
  { name: 'page=1e400', req: search('page=1e400'), status: 400, code: 'INVALID_REQUEST', message: 'page' },
  { name: 'page beyond the window', req: search('page=1001&size=10'), status: 400, code: 'WINDOW_TOO_LARGE' },
  {
    name: 'page=99999999999999999999',
    req: search('page=99999999999999999999'),
    status: 400,
    code: 'WINDOW_TOO_LARGE',
  },
  {
    name: 'q given twice',
    req: search('q=a&q=b'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'q: must be string',
  },
  { name: 'q too long', req: search(`q=${'x'.repeat(600)}`), status: 400, code: 'INVALID_QUERY' },
  {
    name: 'suggest size=0',
    req: { method: 'GET', url: '/api/suggest?q=d&size=0' },
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'size: must be >= 1',
  },
  {
    name: 'suggest size=51',
    req: { method: 'GET', url: '/api/suggest?q=d&size=51' },
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'size: must be <= 50',
  },

  // Control characters and broken encodings.
  {
    name: 'NUL in q',
    req: search('q=a%00b'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'parameter "q" contains a control character',
    details: { field: 'q' },
  },
  {
    name: 'escape byte in q',
    req: search('q=%1b%5B31m'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: '"q"',
  },
  {
    name: 'DEL in filter',
    req: search('filter=genre%7F'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: '"filter"',
  },
  {
    name: 'newline in sort',
    req: search('sort=pages%0A'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: '"sort"',
  },
  {
    name: 'control byte in a parameter name',
    req: search('a%01=1'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'parameter name',
  },
  {
    name: 'control byte in suggest q',
    req: { method: 'GET', url: '/api/suggest?q=du%00' },
    status: 400,
    code: 'INVALID_REQUEST',
    message: '"q"',
  },
  {
    name: 'NUL in the path (document id)',
    req: { method: 'GET', url: `/api/indexes/${INDEX}/documents/a%00b` },
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'path',
  },
  {
    name: 'broken percent-encoding in q',
    req: search('q=%E0%A4%A'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: '"q"',
  },
  {
    name: 'broken percent-encoding in the path',
    req: { method: 'GET', url: `/api/indexes/${INDEX}/documents/%E0%A4%A` },
    status: 400,
    code: 'INVALID_REQUEST',
  },

  // Bodies: JSON syntax, media types, poisoning, shapes.
  {
    name: 'malformed JSON',
    req: postSearch('{"q": "dune"'),
    status: 400,
    code: 'INVALID_JSON',
    message: 'not valid JSON',
    details: { position: 12 },
  },
  { name: 'empty JSON body', req: postSearch(''), status: 400, code: 'INVALID_JSON', message: 'empty' },
  {
    name: 'JSON with a trailing comma',
    req: postSearch('{"q": "dune",}'),
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'text/plain body',
    req: postSearch('q=dune', { 'content-type': 'text/plain' }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'text/plain',
  },
  {
    name: 'form body',
    req: postSearch('q=dune', { 'content-type': 'application/x-www-form-urlencoded' }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'NDJSON to search',
    req: postSearch('{"q":"dune"}', NDJSON_TYPE),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'text/plain to the batch route',
    req: batch('[]', { 'content-type': 'text/plain' }),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'application/x-ndjson',
  },
  {
    name: '__proto__ in a search body',
    req: postSearch('{"q": "x", "__proto__": {"polluted": true}}'),
    status: 400,
    code: 'INVALID_JSON',
    message: '__proto__',
  },
  {
    name: 'escaped __proto__ in a search body',
    req: postSearch('{"filter": {"\\u005f_proto__": {"polluted": true}}}'),
    status: 400,
    code: 'INVALID_JSON',
    message: '__proto__',
  },
  {
    name: 'constructor.prototype in a search body',
    req: postSearch('{"filter": {"constructor": {"prototype": {"polluted": true}}}}'),
    status: 400,
    code: 'INVALID_JSON',
    message: 'constructor',
  },
  {
    name: '__proto__ in a document',
    req: {
      method: 'PUT',
      url: `/api/indexes/${INDEX}/documents/p1`,
      headers: JSON_TYPE,
      payload: '{"title": "x", "__proto__": {"isAdmin": true}}',
    },
    status: 400,
    code: 'INVALID_JSON',
    message: '__proto__',
  },
  {
    name: '__proto__ in a JSON batch',
    req: batch('[{"id": "p2", "__proto__": {"x": 1}}]'),
    status: 400,
    code: 'INVALID_JSON',
    message: '__proto__',
  },
  {
    name: 'nesting too deep',
    req: postSearch(`{"filter": ${'{"not": '.repeat(80)}{"exists": "title"}${'}'.repeat(80)}}`),
    status: 400,
    code: 'INVALID_JSON',
    message: 'nesting',
  },
  {
    name: 'unknown body field',
    req: postSearch('{"query": "dune"}'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'unknown field "query"',
  },
  {
    name: 'unknown nested body field',
    req: postSearch('{"highlight": {"fields": ["title"], "tags": 1}}'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'highlight: unknown field "tags"',
  },
  {
    name: 'unknown facet option',
    req: postSearch('{"facets": [{"field": "pages", "interval": 10}]}'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'facets[0]: unknown field "interval"',
  },
  {
    name: 'wrong type in body',
    req: postSearch('{"size": "ten"}'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'size: must be integer',
  },
  {
    name: 'huge number in body',
    req: postSearch('{"size": 1e400}'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'size',
  },
  {
    name: 'sort as an object',
    req: postSearch('{"sort": {"pages": "desc"}}'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'sort: must be string or array',
  },
  {
    name: 'wrong type deep in a facet',
    req: postSearch('{"facets": [{"field": "pages", "size": "x"}]}'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'facets[0].size',
  },
  {
    name: 'search body is an array',
    req: postSearch('[{"q": "dune"}]'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'JSON object',
  },
  {
    name: 'batch body is an object',
    req: batch('{"id": "x"}'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'JSON array',
  },
  {
    name: 'document body is an array',
    req: { method: 'PUT', url: `/api/indexes/${INDEX}/documents/x`, headers: JSON_TYPE, payload: '[1]' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'batch over 100,000 items (JSON)',
    req: batch(`[${Array(100_001).fill('{}').join(',')}]`),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: '100000',
  },
  {
    name: 'batch over 100,000 items (NDJSON)',
    req: batch(Array(100_001).fill('{}').join('\n'), NDJSON_TYPE),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'body over BODY_LIMIT_BYTES',
    req: postSearch(JSON.stringify({ q: 'x'.repeat(2000) })),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    app: () => small,
  },
  {
    name: 'NDJSON over BODY_LIMIT_BYTES',
    req: batch(Array(100).fill('{"id": "abcdefghijklmnop"}').join('\n'), NDJSON_TYPE),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    app: () => small,
  },

  // Query semantics: filter, sort, facets, fields, cursor.
  {
    name: 'filter syntax error',
    req: search(`filter=${enc('genre = ')}`),
    status: 400,
    code: 'INVALID_FILTER',
    details: { position: expect.any(Number) },
  },
  {
    name: 'filter with an unclosed parenthesis',
    req: search(`filter=${enc('(genre = "scifi"')}`),
    status: 400,
    code: 'INVALID_FILTER',
    details: { position: expect.any(Number) },
  },
  {
    name: 'unknown filter field',
    req: search(`filter=${enc('colour = "red"')}`),
    status: 400,
    code: 'INVALID_FILTER',
    message: 'colour',
  },
  {
    name: 'unknown filter field in a tree',
    req: postSearch('{"filter": {"and": [{"term": {"colour": "red"}}]}}'),
    status: 400,
    code: 'INVALID_FILTER',
    message: 'colour',
  },
  {
    name: 'unknown sort field',
    req: search('sort=colour'),
    status: 400,
    code: 'INVALID_SORT',
    message: 'colour',
  },
  {
    name: 'unsortable field',
    req: search('sort=genre'),
    status: 400,
    code: 'INVALID_SORT',
    message: 'genre',
  },
  {
    name: 'unknown facet field',
    req: search('facets=colour'),
    status: 400,
    code: 'INVALID_FACET',
    message: 'colour',
  },
  {
    name: 'unknown returned field',
    req: search('fields=colour'),
    status: 400,
    code: 'INVALID_FIELD',
    message: 'colour',
  },
  {
    name: 'highlight tag too long',
    req: search(`q=dune&highlight_pre_tag=${'x'.repeat(100)}`),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'pre_tag',
  },
  { name: 'garbage cursor', req: search('cursor=not-a-cursor'), status: 400, code: 'INVALID_CURSOR' },
  { name: 'cursor with bad characters', req: search('cursor=%7B%7D'), status: 400, code: 'INVALID_CURSOR' },
  {
    name: 'cursor from another query',
    req: search('sort=-rating&size=2&cursor=FOREIGN'),
    status: 400,
    code: 'INVALID_CURSOR',
    message: 'different query',
  },

  // Indexes and documents that do not exist or cannot be named.
  {
    name: 'invalid index name',
    req: { method: 'GET', url: '/api/indexes/Not_Valid!/search' },
    status: 400,
    code: 'INVALID_INDEX_NAME',
  },
  {
    name: 'invalid index name on PUT',
    req: {
      method: 'PUT',
      url: '/api/indexes/-leading-dash',
      headers: JSON_TYPE,
      payload: '{"fields": {"id": {"type": "keyword"}, "t": {"type": "text"}}}',
    },
    status: 400,
    code: 'INVALID_INDEX_NAME',
  },
  {
    name: 'index name too long',
    req: { method: 'GET', url: `/api/indexes/${'a'.repeat(65)}` },
    status: 400,
    code: 'INVALID_INDEX_NAME',
  },
  {
    name: 'missing index',
    req: { method: 'GET', url: '/api/indexes/nothing-here/search?q=x' },
    status: 404,
    code: 'INDEX_NOT_FOUND',
  },
  {
    name: 'missing index on document write',
    req: {
      method: 'PUT',
      url: '/api/indexes/nothing-here/documents/1',
      headers: JSON_TYPE,
      payload: '{"title": "x"}',
    },
    status: 404,
    code: 'INDEX_NOT_FOUND',
  },
  {
    name: 'missing index on batch',
    req: {
      method: 'POST',
      url: '/api/indexes/nothing-here/documents',
      headers: JSON_TYPE,
      payload: '[{"id": "m1"}]',
    },
    status: 404,
    code: 'INDEX_NOT_FOUND',
  },
  {
    name: 'missing document',
    req: { method: 'GET', url: `/api/indexes/${INDEX}/documents/nope` },
    status: 404,
    code: 'DOCUMENT_NOT_FOUND',
  },
  {
    name: 'document id too long',
    req: {
      method: 'PUT',
      url: `/api/indexes/${INDEX}/documents/${'x'.repeat(600)}`,
      headers: JSON_TYPE,
      payload: '{"title": "x"}',
    },
    status: 400,
    code: 'INVALID_DOCUMENT_ID',
  },
  {
    name: 'document id mismatch',
    req: {
      method: 'PUT',
      url: `/api/indexes/${INDEX}/documents/a`,
      headers: JSON_TYPE,
      payload: '{"id": "b", "title": "x"}',
    },
    status: 400,
    code: 'INVALID_DOCUMENT',
  },
  {
    name: 'document of the wrong shape',
    req: {
      method: 'PUT',
      url: `/api/indexes/${INDEX}/documents/a`,
      headers: JSON_TYPE,
      payload: '{"title": ["x"]}',
    },
    status: 400,
    code: 'INVALID_DOCUMENT',
    message: 'title',
  },
  {
    name: 'invalid schema',
    req: { method: 'PUT', url: '/api/indexes/new-one', headers: JSON_TYPE, payload: '{"fields": {}}' },
    status: 400,
    code: 'INVALID_SCHEMA',
  },
  {
    name: 'index schema not an object',
    req: { method: 'PUT', url: '/api/indexes/new-one', headers: JSON_TYPE, payload: '"text"' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  { name: 'unknown route', req: { method: 'GET', url: '/api/nothing' }, status: 404, code: 'NOT_FOUND' },
  {
    name: 'unknown method on a known path',
    req: { method: 'PATCH', url: '/api/search' },
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    message: 'GET, HEAD, POST',
    details: { method: 'PATCH', allowed: ['GET', 'HEAD', 'POST'] },
  },
  {
    name: 'unknown method on a path with parameters',
    req: { method: 'PATCH', url: `/api/indexes/${INDEX}` },
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    details: { allowed: ['GET', 'HEAD', 'PUT', 'DELETE'] },
  },
  {
    name: 'a body-carrying method without a body on a known path',
    req: { method: 'QUERY', url: '/api/indexes' },
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    details: { method: 'QUERY', allowed: ['GET', 'HEAD'] },
  },
  {
    name: 'a body-carrying method on an unknown path',
    req: { method: 'PATCH', url: '/api/nothing', headers: JSON_TYPE, payload: '{not json' },
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'unknown path under a known prefix',
    req: { method: 'PATCH', url: `/api/indexes/${INDEX}/nothing/here/at/all` },
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'a missing file under a known static prefix',
    req: { method: 'GET', url: '/docs/static/no-such-file.js' },
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'a range past the end of a static file',
    req: { method: 'GET', url: '/docs/static/logo.svg', headers: { range: 'bytes=99999999-' } },
    status: 416,
    code: 'RANGE_NOT_SATISFIABLE',
  },
  // Body decoding: bytes that are not UTF-8, other charsets, compressed bodies, empty batches.
  {
    name: 'invalid UTF-8 in a JSON body',
    req: postSearch(Buffer.concat([Buffer.from('{"q": "du'), Buffer.from([0xff]), Buffer.from('ne"}')])),
    status: 400,
    code: 'INVALID_ENCODING',
    message: 'byte offset 9',
    details: { offset: 9 },
  },
  {
    name: 'overlong UTF-8 ("/" as two bytes) in a JSON batch',
    req: batch(
      Buffer.concat([
        Buffer.from('[{"id": "u1", "title": "a'),
        Buffer.from([0xc0, 0xaf]),
        Buffer.from('"}]'),
      ]),
    ),
    status: 400,
    code: 'INVALID_ENCODING',
  },
  {
    name: 'invalid UTF-8 on a line of an NDJSON batch',
    req: batch(
      Buffer.concat([
        Buffer.from('{"id": "u2", "title": "ok"}\n{"id": "u3", "title": "'),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('"}\n'),
      ]),
      NDJSON_TYPE,
    ),
    status: 400,
    code: 'INVALID_ENCODING',
    details: { line: 2 },
  },
  {
    name: 'a charset other than UTF-8',
    req: postSearch('{"q": "dune"}', { 'content-type': 'application/json; charset=iso-8859-1' }),
    status: 415,
    code: 'UNSUPPORTED_CHARSET',
    message: 'iso-8859-1',
  },
  {
    name: 'a quoted UTF-16 charset on an NDJSON batch',
    req: batch('{"id": "u4"}\n', { 'content-type': 'application/x-ndjson; charset="UTF-16"' }),
    status: 415,
    code: 'UNSUPPORTED_CHARSET',
  },
  {
    name: 'a gzip-compressed JSON body',
    req: postSearch(gzipSync('{"q": "dune"}'), { ...JSON_TYPE, 'content-encoding': 'gzip' }),
    status: 415,
    code: 'UNSUPPORTED_CONTENT_ENCODING',
    message: 'gzip',
  },
  {
    name: 'a deflate-compressed NDJSON batch',
    req: batch(deflateSync('{"id": "u5"}\n'), { ...NDJSON_TYPE, 'content-encoding': 'deflate' }),
    status: 415,
    code: 'UNSUPPORTED_CONTENT_ENCODING',
  },
  {
    name: 'an empty NDJSON batch',
    req: batch('', NDJSON_TYPE),
    status: 400,
    code: 'INVALID_JSON',
    message: 'no documents',
  },
  {
    name: 'an NDJSON batch of blank lines',
    req: batch('\n  \n\r\n', NDJSON_TYPE),
    status: 400,
    code: 'INVALID_JSON',
    message: 'no documents',
  },
  {
    name: 'an empty JSON batch',
    req: batch('[]'),
    status: 400,
    code: 'INVALID_REQUEST',
    message: 'fewer than 1',
  },
];

describe('bad input is refused with the right status and code, never a 500', () => {
  beforeAll(async () => {
    const first = json(await t.app.inject(search('sort=pages&size=2')));
    foreignCursor = first.next_cursor;
    expect(foreignCursor).toBeTruthy();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const req =
      typeof c.req.url === 'string' && c.req.url.includes('FOREIGN')
        ? { ...c.req, url: c.req.url.replace('FOREIGN', enc(foreignCursor)) }
        : c.req;
    const res = await (c.app ? c.app() : t).app.inject(req);
    expect(res.statusCode).toBeLessThan(500);
    const body = json(res);
    expect(body.error?.code, res.body).toBe(c.code);
    expect(res.statusCode, res.body).toBe(c.status);
    expect(typeof body.error.message).toBe('string');
    expect(Object.keys(body)).toEqual(['error']);
    if (c.message)
      expect(body.error.message).toMatch(
        c.message instanceof RegExp
          ? c.message
          : new RegExp(c.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      );
    if (c.details) expect(body.error.details).toMatchObject(c.details);
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('nothing was written by the refused requests', async () => {
    for (const id of ['p1', 'p2', 'x', 'a', 'b', 'u1', 'u2', 'u3', 'u4', 'u5']) {
      expect(
        (await t.app.inject({ method: 'GET', url: `/api/indexes/${INDEX}/documents/${id}` })).statusCode,
      ).toBe(404);
    }
    expect({} as Record<string, unknown>).not.toHaveProperty('polluted');
    expect({} as Record<string, unknown>).not.toHaveProperty('isAdmin');
  });
});
