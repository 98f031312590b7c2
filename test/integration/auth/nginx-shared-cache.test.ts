import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRIVATE_ANSWER } from '../../../src/http/plugins/auth.js';
import { DOCS } from '../../support/app.js';
import { readText } from '../../support/files.js';
import { startNginx, type Nginx } from '../../support/nginx.js';
import { tempDir } from '../../support/temp-dir.js';
import { startAuthServer, type AuthServer } from './auth-server.js';

/**
 * The shipped nginx search cache keys by URL alone, so an answer to a credentialed request must never be stored
 * or served from it: not to an anonymous caller (whom Sift answers 401) and not to another key (a scoped key's
 * filter restricts what it sees). Both ends guard it: nginx skips its cache for every credential carrier, and
 * Sift marks credentialed answers `Cache-Control: private, no-store`.
 */

const PATH = '/api/indexes/books/search?size=100&q=';
// A URL of its own per case (Sift refuses unknown parameters), so no case sees another's cache entry.
const urlOf = (size: number) => `/api/indexes/books/search?size=${size}&q=`;
const genres = (body: { hits?: { document: { genre: string } }[] }) =>
  [...new Set((body.hits ?? []).map((h) => h.document.genre))].sort();

async function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers of several shapes
): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(base + path, { headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('nginx in front of Sift with auth on', { timeout: 120_000 }, () => {
  const prefix = tempDir('sift-nginx-auth-');
  let s: AuthServer;
  let nginx: Nginx | undefined;
  let admin: string;
  let parent: { key: string; id: string };

  beforeAll(async () => {
    s = await startAuthServer();
    nginx = await startNginx(prefix.path, [new URL(s.url).host]);
    admin = (await s.key(['admin'])).key;
    parent = await s.key(['search']);
  }, 120_000);
  afterAll(async () => {
    await nginx?.stop();
    await s?.close();
    prefix.remove();
  });

  const scoped = async (filter: string): Promise<string> => {
    const res = await s.call('POST', '/api/keys/scoped', {
      credential: admin,
      body: { parent: parent.id, filter, expires: '1h' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.key as string;
  };

  // The leak shows first (the anonymous answer), then which end failed to guard against it.
  for (const [carrier, size, headers] of [
    ['X-API-Key', 99, (key: string) => ({ 'x-api-key': key })],
    ['Authorization', 98, (key: string) => ({ authorization: `Bearer ${key}` })],
  ] as const) {
    it(`never serves an ${carrier} answer to a later anonymous caller of the same URL`, async () => {
      const keyed = await get(nginx!.url, urlOf(size), headers(parent.key));
      expect(keyed.status).toBe(200);
      expect(keyed.body.total).toBe(DOCS.length);
      const anonymous = await get(nginx!.url, urlOf(size));
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
      expect(keyed.headers.get('x-cache-status')).toBe('BYPASS');
      expect(keyed.headers.get('cache-control')).toBe(PRIVATE_ANSWER);
    });
  }

  it("never serves a scoped key's answer to another key", async () => {
    const scifi = await scoped('genre = scifi');
    const fantasy = await scoped('genre = fantasy');
    const path = urlOf(97);
    const a = await get(nginx!.url, path, { 'x-api-key': scifi });
    expect(a.status).toBe(200);
    expect(genres(a.body)).toEqual(['scifi']);
    const b = await get(nginx!.url, path, { 'x-api-key': fantasy });
    expect(b.status).toBe(200);
    expect(genres(b.body)).toEqual(['fantasy']);
    const open = await get(nginx!.url, path, { 'x-api-key': parent.key });
    expect(open.body.total).toBe(DOCS.length);
    for (const r of [a, b, open]) expect(r.headers.get('cache-control')).toBe(PRIVATE_ANSWER);
  });

  it('marks every answer to a credentialed request private, refusals included', async () => {
    const wrong = await get(s.url, PATH, { 'x-api-key': 'sk_0000000000000000_nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('cache-control')).toBe(PRIVATE_ANSWER);
    const basic = await get(s.url, PATH, { authorization: 'Basic dTpw' });
    expect(basic.status).toBe(401);
    expect(basic.headers.get('cache-control')).toBe(PRIVATE_ANSWER);
    // Without a credential Sift says nothing about caching: the shared cache may keep a public answer.
    const anonymous = await get(s.url, PATH);
    expect(anonymous.headers.get('cache-control')).toBeNull();
  });
});

describe('nginx in front of Sift with auth off', { timeout: 120_000 }, () => {
  const prefix = tempDir('sift-nginx-open-');
  let s: AuthServer;
  let nginx: Nginx | undefined;

  beforeAll(async () => {
    s = await startAuthServer({ ENVIRONMENT: 'development', AUTH_REQUIRED: 'false' });
    nginx = await startNginx(prefix.path, [new URL(s.url).host]);
  }, 120_000);
  afterAll(async () => {
    await nginx?.stop();
    await s?.close();
    prefix.remove();
  });

  it('still caches plain anonymous searches', async () => {
    const first = await get(nginx!.url, PATH);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache-status')).toBe('MISS');
    const second = await get(nginx!.url, PATH);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache-status')).toBe('HIT');
    expect(second.body).toEqual(first.body);
  });
});

it('skips the shipped search cache on the same credential carriers for reads and for writes', () => {
  const conf = readText('deploy/nginx/nginx.conf');
  const listed = (directive: string) =>
    (new RegExp(`${directive} ([^;]*);`).exec(conf)?.[1] ?? '').split(/\s+/).sort();
  const bypass = listed('proxy_cache_bypass');
  const noCache = listed('proxy_no_cache');
  expect(bypass).toEqual(['$http_authorization', '$http_x_api_key']);
  expect(noCache).toEqual(bypass);
});
