import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS_INDEX } from '../../../src/schema/system-index.js';
import { startAuthServer, type AuthServer } from './auth-server.js';

let s: AuthServer;
beforeAll(async () => {
  s = await startAuthServer();
});
afterAll(async () => s?.close());

const doc = { title: 'New', author: 'Someone', genre: 'scifi', pages: 10 };

describe('API keys against a real server (staging: credentials required)', () => {
  it('refuses a request without credentials with 401 and a Bearer challenge; health stays public', async () => {
    const res = await s.call('GET', '/api/indexes/books/search?q=dune');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="sift"');
    expect((await s.call('GET', '/health/live')).status).toBe(200);
    expect((await s.call('GET', '/openapi.json')).status).toBe(200);
  });

  it('accepts a search key for search, in the Authorization or X-API-Key header', async () => {
    const { key } = await s.key(['search']);
    const res = await s.call('GET', '/api/indexes/books/search?q=dune', { credential: key });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
    const viaHeader = await s.call('GET', '/api/search?q=dune', { headers: { 'x-api-key': key } });
    expect(viaHeader.status).toBe(200);
  });

  it('answers 403 naming the missing scope, with an insufficient_scope challenge', async () => {
    const { key } = await s.key(['search']);
    const res = await s.call('PUT', '/api/indexes/books/documents/new', { credential: key, body: doc });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect(res.body.error.message).toContain('"write" scope');
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="write"');
    const admin = await s.call('PUT', '/api/indexes/x', { credential: key, body: {} });
    expect(admin.status).toBe(403);
    expect(admin.body.error.message).toContain('"admin" scope');
  });

  it('a write key writes, within its index allowlist only', async () => {
    const { key } = await s.key(['search', 'write'], { indexes: ['books'] });
    const ok = await s.call('PUT', '/api/indexes/books/documents/new', { credential: key, body: doc });
    expect(ok.status).toBe(201);
    const other = await s.call('PUT', '/api/indexes/other/documents/new', { credential: key, body: doc });
    expect(other.status).toBe(403);
    expect(other.body.error.message).toContain('does not allow index "other"');
    const search = await s.call('GET', '/api/indexes/other/search', { credential: key });
    expect(search.status).toBe(403);
  });

  it('refuses malformed keys, unknown ids and wrong secrets alike with 401, never echoing them', async () => {
    const { key } = await s.key(['search']);
    const wrongSecret = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const unknownId = 'sk_0000000000000000_' + key.slice(-43);
    for (const bad of ['sk_nonsense', wrongSecret, unknownId, 'garbage']) {
      const res = await s.call('GET', '/api/search', { credential: bad });
      expect(res.status, bad).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
      expect(JSON.stringify(res.body)).not.toContain(bad);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="sift", error="invalid_token"/);
    }
    const basic = await s.call('GET', '/api/search', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
    expect(basic.body.error.message).toContain('Bearer');
  });

  it('refuses an expired key with 401 CREDENTIALS_EXPIRED', async () => {
    const { key, id } = await s.key(['search']);
    const record = (await s.keys.store.get(id))!;
    await s.keys.store.put({ ...record, expires_at: new Date(Date.now() - 1000).toISOString() });
    const res = await s.call('GET', '/api/search', { credential: key });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('CREDENTIALS_EXPIRED');
  });

  it('creates keys over the API (secret once), lists them without secrets, and revocation takes effect', async () => {
    const { key: admin } = await s.key(['admin']);
    const created = await s.call('POST', '/api/keys', {
      credential: admin,
      body: { name: 'frontend', scopes: ['search'], indexes: ['books'], expires: '30d' },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk_[0-9a-f]{16}_/);
    expect(created.body.status).toBe('active');
    expect((await s.call('GET', '/api/search', { credential: created.body.key })).status).toBe(200);

    const list = await s.call('GET', '/api/keys', { credential: admin });
    expect(list.status).toBe(200);
    const listed = list.body.keys.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toMatchObject({ name: 'frontend', scopes: ['search'], indexes: ['books'] });
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(created.body.key.slice(-43));
    expect(text).not.toMatch(/hash|signing_key/);

    const revoked = await s.call('DELETE', `/api/keys/${created.body.id}`, { credential: admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    const after = await s.call('GET', '/api/search', { credential: created.body.key });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toContain('revoked');
    expect(
      (await s.call('DELETE', '/api/keys/ffffffffffffffff', { credential: admin })).body.error.code,
    ).toBe('KEY_NOT_FOUND');
  });

  it('validates key creation input with 400s naming the field', async () => {
    const { key: admin } = await s.key(['admin']);
    const cases = [
      { name: 'x', scopes: ['root'] },
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['search'], expires: 'tomorrow' },
      { name: 'x', scopes: ['search'], expires: '2001-01-01' },
      { name: 'x', scopes: ['search'], indexes: ['Bad Name'] },
    ];
    for (const body of cases) {
      const res = await s.call('POST', '/api/keys', { credential: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('an admin limited to some indexes cannot mint a key beyond them', async () => {
    const { key: admin } = await s.key(['admin'], { indexes: ['books'] });
    const wide = await s.call('POST', '/api/keys', {
      credential: admin,
      body: { name: 'x', scopes: ['search'], indexes: ['other'] },
    });
    expect(wide.status).toBe(403);
    const implicit = await s.call('POST', '/api/keys', {
      credential: admin,
      body: { name: 'y', scopes: ['search'] },
    });
    expect(implicit.status).toBe(201);
    expect(implicit.body.indexes).toEqual(['books']);
  });

  it('hides the key store: not listed, not readable, not writable, even for admin', async () => {
    const { key: admin } = await s.key(['admin', 'write', 'search']);
    const list = await s.call('GET', '/api/indexes', { credential: admin });
    expect(list.body.indexes.map((i: { name: string }) => i.name)).not.toContain(KEYS_INDEX);
    for (const [method, path, body] of [
      ['GET', `/api/indexes/${KEYS_INDEX}/search`, undefined],
      ['GET', `/api/indexes/${KEYS_INDEX}`, undefined],
      ['PUT', `/api/indexes/${KEYS_INDEX}/documents/x`, { id: 'x' }],
      ['DELETE', `/api/indexes/${KEYS_INDEX}`, undefined],
      ['PUT', `/api/indexes/${KEYS_INDEX}`, { fields: { id: { type: 'keyword', searchable: true } } }],
    ] as const) {
      const res = await s.call(method, path, { credential: admin, body });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.body.error.code).toBe('INVALID_INDEX_NAME');
    }
  });
});
