// A real server answers each route without credentials: the 401 names the scope the route declares.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from '../auth/auth-server.js';

describe('route scopes, as each route declares them (real server, no credentials)', () => {
  let server: AuthServer;
  beforeAll(async () => {
    server = await startAuthServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ['GET', '/api/search', 'search'],
    ['POST', '/api/indexes/books/search', 'search'],
    ['POST', '/api/multi-search', 'search'],
    ['GET', '/api/indexes/books/suggest', 'search'],
    ['GET', '/api/indexes/books/fields', 'search'],
    ['GET', '/api/indexes/books/documents/x', 'search'],
    ['HEAD', '/api/indexes/books/documents/x', 'search'],
    ['PUT', '/api/indexes/books/documents/x', 'write'],
    ['DELETE', '/api/indexes/books/documents/x', 'write'],
    ['POST', '/api/indexes/books/documents', 'write'],
    ['POST', '/api/indexes/books/documents/delete-by-filter', 'write'],
    ['POST', '/api/indexes/books/documents/update-by-filter', 'write'],
    ['PUT', '/api/indexes/books', 'admin'],
    ['GET', '/api/indexes', 'admin'],
    ['POST', '/api/indexes/books/reindex/rollback', 'admin'],
    ['POST', '/api/keys', 'admin'],
    ['GET', '/health/ready', null],
    ['GET', '/metrics', null],
    ['GET', '/openapi.json', null],
    ['GET', '/', null],
    ['GET', '/assets/search-page.js', null],
    ['GET', '/analytics', null],
    ['GET', '/assets/analytics-page.js', null],
    ['GET', '/apis', null],
  ] as const)('%s %s -> %s', async (method, path, scope) => {
    const res = await fetch(server.url + path, { method });
    if (scope === null) {
      expect(res.status).not.toBe(401);
      return;
    }
    expect(res.status).toBe(401);
    // HEAD answers carry no body; the challenge is the same.
    if (method !== 'HEAD')
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
        `"${scope}" scope`,
      );
  });
});
