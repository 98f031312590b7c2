// Deletes and updates by filter over HTTP, against a real listening server with the response cache on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from '../auth/auth-server.js';

let s: AuthServer;
let writer: string;
let searcher: string;
let otherOnly: string;
beforeAll(async () => {
  // With the response cache on: a write by filter must reach the next search, never a cached answer.
  s = await startAuthServer({ CACHE_TTL_SECONDS: '600' });
  writer = (await s.key(['write', 'search', 'admin'])).key;
  searcher = (await s.key(['search'])).key;
  otherOnly = (await s.key(['write', 'search'], { indexes: ['other'] })).key;
});
afterAll(async () => s?.close());

const DELETE = '/api/indexes/books/documents/delete-by-filter';
const UPDATE = '/api/indexes/books/documents/update-by-filter';
const post = (path: string, body: unknown, credential = writer) => s.call('POST', path, { credential, body });
const search = async (filter: string) => {
  const res = await s.call('GET', `/api/indexes/books/search?filter=${encodeURIComponent(filter)}&size=50`, {
    credential: writer,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.hits as { id: string }[]).map((h) => h.id).sort();
};
const documents = async () =>
  (await s.call('GET', '/api/indexes/books', { credential: writer })).body.documents as number;

describe('delete and update by filter over HTTP (real server)', () => {
  it('counts on a dry run, refuses above the limit, then deletes, invalidating cached answers', async () => {
    const fantasy = ['earthsea', 'hobbit', 'silmarillion'];
    // Cached now: the delete must bump the generation.
    expect(await search('genre = fantasy')).toEqual(fantasy);
    expect(await search('genre = fantasy')).toEqual(fantasy);
    const total = await documents();

    const dry = await post(DELETE, { filter: 'genre = fantasy', dry_run: true });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(dry.body).toEqual({ dry_run: true, matched: 3, limit: 1000, over_limit: false, deleted: 0 });
    expect(await search('genre = fantasy')).toEqual(fantasy);

    const refused = await post(DELETE, { filter: 'genre = fantasy', limit: 2 });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'TOO_MANY_MATCHES',
      details: { matched: 3, limit: 2 },
    });
    expect(await search('genre = fantasy')).toEqual(fantasy);

    const done = await post(DELETE, { filter: { term: { genre: 'fantasy' } }, limit: 3 });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toEqual({ dry_run: false, matched: 3, limit: 3, deleted: 3 });
    expect(await search('genre = fantasy')).toEqual([]);
    expect(await documents()).toBe(total - 3);
    expect((await s.call('GET', '/api/indexes/books/documents/hobbit', { credential: writer })).status).toBe(
      404,
    );
  });

  it('sets fields on the matches, checking them against the schema first', async () => {
    const classics = ['emma', 'persuasion'];
    expect(await search('genre = classic AND in_print = false')).toEqual([]);
    const bad = await post(UPDATE, { filter: 'genre = classic', set: { pages: 'many' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_DOCUMENT', details: { field: 'pages' } });
    const unknown = await post(UPDATE, { filter: 'genre = classic', set: { colour: 'red' } });
    expect(unknown.body.error).toMatchObject({ code: 'INVALID_DOCUMENT', details: { field: 'colour' } });
    const id = await post(UPDATE, { filter: 'genre = classic', set: { id: 'x' } });
    expect(id.body.error).toMatchObject({ code: 'INVALID_DOCUMENT', details: { field: 'id' } });

    const dry = await post(UPDATE, { filter: 'genre = classic', set: { in_print: false }, dry_run: true });
    expect(dry.body).toEqual({ dry_run: true, matched: 2, limit: 1000, over_limit: false, updated: 0 });
    const done = await post(UPDATE, { filter: 'genre = classic', set: { in_print: false, rating: 5 } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toEqual({ dry_run: false, matched: 2, limit: 1000, updated: 2 });
    expect(await search('genre = classic AND in_print = false AND rating = 5')).toEqual(classics);
    const emma = await s.call('GET', '/api/indexes/books/documents/emma', { credential: writer });
    expect(emma.body.document).toMatchObject({ id: 'emma', genre: 'classic', in_print: false, rating: 5 });
    expect(emma.body.document.title).toBe('Emma');
  });

  it('refuses bad bodies, a whole-index write without a limit, and callers without write access', async () => {
    const cases: [string, unknown, number, string][] = [
      [DELETE, {}, 400, 'INVALID_REQUEST'],
      [DELETE, { filter: '' }, 400, 'INVALID_REQUEST'],
      [DELETE, { filter: 'genre = scifi', limit: 0 }, 400, 'INVALID_REQUEST'],
      [DELETE, { filter: 'genre = scifi', limit: 10_001 }, 400, 'INVALID_REQUEST'],
      [DELETE, { filter: 'genre = scifi', max: 3 }, 400, 'INVALID_REQUEST'],
      [DELETE, { filter: 'nosuch = 1' }, 400, 'INVALID_FILTER'],
      [DELETE, { filter: 'genre = ' }, 400, 'INVALID_FILTER'],
      [DELETE, [], 400, 'INVALID_REQUEST'],
      [UPDATE, { filter: 'genre = scifi' }, 400, 'INVALID_REQUEST'],
      [UPDATE, { filter: 'genre = scifi', set: {} }, 400, 'INVALID_REQUEST'],
      [UPDATE, { filter: 'genre = scifi', set: [1] }, 400, 'INVALID_REQUEST'],
      [UPDATE, { set: { rating: 1 } }, 400, 'INVALID_REQUEST'],
      ['/api/indexes/missing/documents/delete-by-filter', { filter: 'genre = x' }, 404, 'INDEX_NOT_FOUND'],
    ];
    const before = await documents();
    for (const [path, body, status, code] of cases) {
      const res = await post(path, body);
      expect([res.status, res.body?.error?.code], `${path} ${JSON.stringify(body)}`).toEqual([status, code]);
    }
    expect(await documents()).toBe(before);

    expect((await s.call('POST', DELETE, { body: { filter: 'genre = scifi' } })).status).toBe(401);
    const noScope = await post(DELETE, { filter: 'genre = scifi' }, searcher);
    expect([noScope.status, noScope.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const wrongIndex = await post(UPDATE, { filter: 'genre = scifi', set: { rating: 1 } }, otherOnly);
    expect([wrongIndex.status, wrongIndex.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(await documents()).toBe(before);

    // With an explicit limit, no filter means every document.
    const all = await post(DELETE, { limit: before });
    expect(all.body).toMatchObject({ matched: before, deleted: before });
    expect(await documents()).toBe(0);
  });
});
