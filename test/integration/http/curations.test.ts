import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from '../auth/auth-server.js';

let s: AuthServer;
let admin: string;
let searcher: { key: string; id: string };
beforeAll(async () => {
  // With the response cache on: a change of rules must reach the next search, never a cached answer.
  s = await startAuthServer({ CACHE_TTL_SECONDS: '600' });
  admin = (await s.key(['admin', 'search'])).key;
  searcher = await s.key(['search'], { indexes: ['books'] });
});
afterAll(async () => s?.close());

const search = (q: string, credential = admin) =>
  s.call('GET', `/api/indexes/books/search?q=${encodeURIComponent(q)}&size=20`, { credential });
const ids = (body: { hits: { id: string }[] }) => body.hits.map((h) => h.id);
const putRules = (body: unknown, credential = admin) =>
  s.call('PUT', '/api/indexes/books/curations', { credential, body });

describe('curation rules over HTTP (real server)', () => {
  it('pins and hides at once on the next search, cached answers included, and reads the rules back', async () => {
    const before = await search('desert');
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect(ids(before.body).sort()).toEqual(['dune', 'dune-messiah']);
    expect((await search('desert')).body).toMatchObject({ total: 2 });

    const put = await putRules([
      { query: ' Desert ', pin: [{ id: 'emma', position: 1 }], hide: ['dune-messiah'] },
    ]);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const stored = [
      { query: 'desert', match: 'exact', pin: [{ id: 'emma', position: 1 }], hide: ['dune-messiah'] },
    ];
    expect(put.body).toEqual(stored);
    expect((await s.call('GET', '/api/indexes/books/curations', { credential: admin })).body).toEqual(stored);

    const after = await search('desert');
    expect(ids(after.body)).toEqual(['emma', 'dune']);
    expect(after.body.total).toBe(2);
    expect(after.body.hits[0].score).toBeNull();
    // The settings route leaves the rules alone.
    const settings = await s.call('PUT', '/api/indexes/books/settings', { credential: admin, body: {} });
    expect(settings.status).toBe(200);
    expect(ids((await search('desert')).body)).toEqual(['emma', 'dune']);
  });

  it('never pins a document a scoped key cannot see', async () => {
    const created = await s.call('POST', '/api/keys/scoped', {
      credential: admin,
      body: { parent: searcher.id, filter: 'genre = scifi', expires: '1h' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const res = await search('desert', created.body.key as string);
    expect(res.status).toBe(200);
    // emma is a classic: outside the key's filter, so neither shown nor counted.
    expect(ids(res.body)).toEqual(['dune']);
    expect(res.body.total).toBe(1);
  });

  it('refuses malformed rules with 400 INVALID_CURATION, in the rules and in a schema', async () => {
    for (const body of [
      [{ query: 'x', pin: [{ id: 'a', position: 0 }] }],
      [{ query: 'x', pin: [{ id: 'a' }] }],
      [{ query: 'x', match: 'regex', hide: ['a'] }],
      [{ query: 'x', hide: ['a'], boost: 1 }],
      [{ query: 'x' }],
      [{ query: '   ', hide: ['a'] }],
      [{ query: 'x', pin: [{ id: 'a', position: 1 }], hide: ['a'] }],
      [{ query: 'x', hide: ['a'], filter: 'no_such_field = 1' }],
      [{ query: 'x', hide: ['a'], filter: 'genre = ' }],
      { query: 'x', hide: ['a'] },
    ]) {
      const res = await putRules(body);
      expect([res.status, res.body?.error?.code], JSON.stringify(body)).toEqual([400, 'INVALID_CURATION']);
    }
    const schema = await s.call('PUT', '/api/indexes/bad-curations', {
      credential: admin,
      body: { fields: { id: { type: 'keyword' }, title: { type: 'text' } }, curations: [{ query: 'x' }] },
    });
    expect([schema.status, schema.body.error.code]).toEqual([400, 'INVALID_CURATION']);
    expect((await s.call('GET', '/api/indexes/no-such-index/curations', { credential: admin })).status).toBe(
      404,
    );
  });

  it('is for admin keys only', async () => {
    const res = await putRules([], searcher.key);
    expect(res.status).toBe(403);
    expect((await s.call('GET', '/api/indexes/books/curations', { credential: searcher.key })).status).toBe(
      403,
    );
  });
});
