import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeScopedKey } from '../../../src/auth/scoped-keys.js';
import { parseApiKey, scopedSigningKey } from '../../../src/auth/secrets.js';
import { DOCS } from '../../support/app.js';
import { startAuthServer, type AuthServer } from './auth-server.js';

let s: AuthServer;
let admin: string;
let parent: { key: string; id: string };
beforeAll(async () => {
  // With the response cache on, so every case below also runs against cached answers.
  s = await startAuthServer({ CACHE_TTL_SECONDS: '600' });
  admin = (await s.key(['admin'])).key;
  parent = await s.key(['search', 'write'], { indexes: ['books', 'other'] });
});
afterAll(async () => s?.close());

const SCIFI = DOCS.filter((d) => d.genre === 'scifi');

async function scoped(body: Record<string, unknown>): Promise<string> {
  const res = await s.call('POST', '/api/keys/scoped', {
    credential: admin,
    body: { parent: parent.id, ...body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.key as string;
}

/** The payload of a scoped key, decoded, and a way to put a changed payload back with the old signature. */
function split(key: string) {
  const [payload, sig] = key.slice('ssk_'.length).split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const reassemble = (c: Record<string, unknown>) =>
    `ssk_${Buffer.from(JSON.stringify(c)).toString('base64url')}.${sig}`;
  return { claims, reassemble };
}

describe('scoped search keys (real server)', () => {
  it('only ever returns documents matching the embedded filter, whatever the client asks', async () => {
    const key = await scoped({ filter: 'genre = scifi', expires: '1h' });
    const all = await s.call('GET', '/api/indexes/books/search?size=100', { credential: key });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(SCIFI.length);
    expect(all.body.hits.every((h: { document: { genre: string } }) => h.document.genre === 'scifi')).toBe(
      true,
    );

    // The client's own filter is ANDed in: it can narrow, never widen, even with OR or a tree.
    const narrowed = await s.call('GET', '/api/indexes/books/search?filter=author%20%3D%20Herbert', {
      credential: key,
    });
    expect(narrowed.body.total).toBe(2);
    const widen = await s.call('POST', '/api/indexes/books/search', {
      credential: key,
      body: { filter: 'genre = classic OR genre = fantasy OR genre = scifi', size: 100 },
    });
    expect(widen.body.total).toBe(SCIFI.length);
    const tree = await s.call('POST', '/api/indexes/books/search', {
      credential: key,
      body: { filter: { or: [{ term: { genre: 'classic' } }, { term: { genre: 'fantasy' } }] } },
    });
    expect(tree.body.total).toBe(0);

    // Disjunctive facets must not drop the pinned filter: counts cover scifi only.
    const facets = await s.call('GET', '/api/indexes/books/search?facets=genre&filter=genre%20%3D%20scifi', {
      credential: key,
    });
    expect(facets.body.facets.genre.buckets).toEqual([{ value: 'scifi', count: SCIFI.length }]);
  });

  it('is never served an answer cached for another key or for the unrestricted parent', async () => {
    const scifi = await scoped({ filter: 'genre = scifi', expires: '1h' });
    const fantasy = await scoped({ filter: { term: { genre: 'fantasy' } }, expires: '1h' });
    const genres = (body: { hits: { document: { genre: string } }[] }) =>
      [...new Set(body.hits.map((h) => h.document.genre))].sort();
    for (const [method, path, body] of [
      ['GET', '/api/indexes/books/search?size=100&q=', undefined],
      ['POST', '/api/indexes/books/search', { size: 100 }],
      ['GET', '/api/indexes/books/suggest?q=the', undefined],
    ] as const) {
      // The parent first, twice, so its answer is cached and served as a hit.
      const open = await s.call(method, path, { credential: parent.key, body });
      const openAgain = await s.call(method, path, { credential: parent.key, body });
      expect([open.headers.get('x-cache'), openAgain.headers.get('x-cache')]).toEqual(['MISS', 'HIT']);
      const a = await s.call(method, path, { credential: scifi, body });
      const b = await s.call(method, path, { credential: fantasy, body });
      expect([a.headers.get('x-cache'), b.headers.get('x-cache')]).toEqual(['MISS', 'MISS']);
      // Each key's own answer is cached for that key.
      const aAgain = await s.call(method, path, { credential: scifi, body });
      expect(aAgain.headers.get('x-cache')).toBe('HIT');
      expect(aAgain.body).toEqual(a.body);
      if (path.includes('suggest')) {
        expect(a.body.suggestions.length).toBeLessThan(open.body.suggestions.length);
        expect(b.body.suggestions.map((x: { text: string }) => x.text).sort()).toEqual([
          'The Hobbit',
          'The Silmarillion',
        ]);
      } else {
        expect(genres(open.body).length).toBeGreaterThan(1);
        expect(genres(a.body)).toEqual(['scifi']);
        expect(genres(b.body)).toEqual(['fantasy']);
        expect(a.body.total).toBe(SCIFI.length);
      }
    }
    // A cached URL is no way around authentication: no credential, no answer.
    expect((await s.call('GET', '/api/indexes/books/search?size=100&q=')).status).toBe(401);
  });

  it('suggests only from documents matching the filter', async () => {
    const key = await scoped({ filter: { term: { genre: 'fantasy' } }, expires: '1h' });
    const res = await s.call('GET', '/api/indexes/books/suggest?q=the', { credential: key });
    expect(res.status).toBe(200);
    const texts = res.body.suggestions.map((x: { text: string }) => x.text).sort();
    expect(texts).toEqual(['The Hobbit', 'The Silmarillion']);
    const open = await s.call('GET', '/api/indexes/books/suggest?q=the', { credential: parent.key });
    expect(open.body.suggestions.length).toBeGreaterThan(2);
  });

  it('is search-only and limited to its indexes within the parent allowlist', async () => {
    const key = await scoped({ filter: 'genre = scifi', indexes: ['books'], expires: '1h' });
    expect((await s.call('GET', '/api/indexes/other/search', { credential: key })).status).toBe(403);
    const write = await s.call('PUT', '/api/indexes/books/documents/x', {
      credential: key,
      body: { title: 'x' },
    });
    expect(write.status).toBe(403);
    const byId = await s.call('GET', '/api/indexes/books/documents/emma', { credential: key });
    expect(byId.status).toBe(403);
    const outside = await s.call('POST', '/api/keys/scoped', {
      credential: admin,
      body: { parent: parent.id, indexes: ['packages'], expires: '1h' },
    });
    expect(outside.status).toBe(403);
  });

  it('refuses every tampered key: filter removed or changed, expiry extended, index added', async () => {
    const key = await scoped({ filter: 'genre = scifi', indexes: ['books'], expires: '1h' });
    const { claims, reassemble } = split(key);
    const tampered = {
      'filter removed': reassemble({ ...claims, f: undefined }),
      'filter changed': reassemble({ ...claims, f: 'genre = classic' }),
      'expiry extended': reassemble({ ...claims, e: (claims.e as number) + 86_400 }),
      'index added': reassemble({ ...claims, i: ['books', 'other'] }),
      'indexes removed': reassemble({ ...claims, i: undefined }),
      'signature cut': key.slice(0, -2),
    };
    for (const [name, bad] of Object.entries(tampered)) {
      const res = await s.call('GET', '/api/indexes/books/search', { credential: bad });
      expect(res.status, name).toBe(401);
      expect(res.body.error.code, name).toBe('UNAUTHORIZED');
    }
  });

  it('expires, cannot outlive its parent, and dies with its parent', async () => {
    const { secret } = parseApiKey(parent.key)!;
    const expired = encodeScopedKey(
      { v: 1, k: parent.id, e: Math.floor(Date.now() / 1000) - 5 },
      scopedSigningKey(secret),
    );
    const res = await s.call('GET', '/api/search', { credential: expired });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('CREDENTIALS_EXPIRED');

    const shortLived = await s.key(['search'], { expiresAt: Date.now() + 3_600_000 });
    const tooLong = await s.call('POST', '/api/keys/scoped', {
      credential: admin,
      body: { parent: shortLived.id, expires: '2d' },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toContain('outlive its parent');

    const doomed = await s.key(['search']);
    const child = (
      await s.call('POST', '/api/keys/scoped', {
        credential: admin,
        body: { parent: doomed.id, expires: '1h' },
      })
    ).body.key as string;
    expect((await s.call('GET', '/api/search', { credential: child })).status).toBe(200);
    await s.call('DELETE', `/api/keys/${doomed.id}`, { credential: admin });
    const after = await s.call('GET', '/api/search', { credential: child });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toContain('revoked');
  });

  it('can be generated offline from the parent secret (documented format)', async () => {
    const { secret } = parseApiKey(parent.key)!;
    const key = encodeScopedKey(
      { v: 1, k: parent.id, e: Math.floor(Date.now() / 1000) + 600, f: 'author = Tolkien', i: ['books'] },
      scopedSigningKey(secret),
    );
    const res = await s.call('GET', '/api/indexes/books/search', { credential: key });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
    const wrongParentSecret = encodeScopedKey(
      { v: 1, k: parent.id, e: Math.floor(Date.now() / 1000) + 600 },
      scopedSigningKey('x'.repeat(43)),
    );
    expect((await s.call('GET', '/api/search', { credential: wrongParentSecret })).status).toBe(401);
  });

  it('refuses a bad filter at creation with 400 INVALID_FILTER', async () => {
    const res = await s.call('POST', '/api/keys/scoped', {
      credential: admin,
      body: { parent: parent.id, filter: 'genre = = scifi', expires: '1h' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_FILTER');
  });
});
