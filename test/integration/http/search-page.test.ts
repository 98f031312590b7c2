// The pages' routes on a real listening server that requires credentials: `/` (the search page), `/analytics` and
// their assets are public with a strict CSP of their own (and /docs keeps its policy), `GET
// /api/indexes/{index}/fields` is in the search scope. The pages themselves are driven in a browser in
// test/e2e/search-page/ and test/e2e/analytics-page/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from '../auth/auth-server.js';

let s: AuthServer;
beforeAll(async () => {
  s = await startAuthServer();
});
afterAll(async () => s?.close());

const csp = (res: Response) => res.headers.get('content-security-policy') ?? '';

describe('GET / and /assets/*', () => {
  it('serves the page without credentials, naming the default index, under a CSP with no inline code', async () => {
    const res = await fetch(`${s.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<meta name="sift-default-index" content="books" />');
    expect(html).toContain('<script src="/assets/search-page.js" defer></script>');
    // No inline script or style in the page: the CSP would block it.
    expect(html).not.toMatch(/<script>|<style|style=/);
    const policy = csp(res);
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self'");
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('data:');
  });

  it('serves the bundled script, stylesheet and icon with validators, and 304 when unchanged', async () => {
    for (const [name, type] of [
      ['search-page.js', 'text/javascript; charset=utf-8'],
      ['search-page.css', 'text/css; charset=utf-8'],
      ['analytics-page.js', 'text/javascript; charset=utf-8'],
      ['analytics-page.css', 'text/css; charset=utf-8'],
      ['favicon.svg', 'image/svg+xml'],
    ]) {
      const res = await fetch(`${s.url}/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(csp(res)).not.toContain('unsafe-inline');
      const etag = res.headers.get('etag')!;
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
      const again = await fetch(`${s.url}/assets/${name}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    }
    // The script is the page's TypeScript bundled for the browser: no module syntax, no Node built-ins.
    const script = await (await fetch(`${s.url}/assets/search-page.js`)).text();
    expect(script).not.toMatch(/\bimport\s*[{*"']|\brequire\(|node:/);
    expect(script).toContain('/api/events');
  });

  it('serves the analytics page at /analytics under the same policy, with its own script and stylesheet', async () => {
    const res = await fetch(`${s.url}/analytics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<script src="/assets/analytics-page.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="/assets/analytics-page.css" />');
    expect(html).not.toMatch(/<script>|<style|style=/);
    expect(csp(res)).toBe(csp(await fetch(`${s.url}/`)));
    // Each page's bundle holds its own code: the analytics script reads the reports, the search script does not.
    const analytics = await (await fetch(`${s.url}/assets/analytics-page.js`)).text();
    expect(analytics).toContain('/api/analytics/');
    expect(analytics).not.toMatch(/\bimport\s*[{*"']|\brequire\(|node:/);
    expect(await (await fetch(`${s.url}/assets/search-page.js`)).text()).not.toContain('/api/analytics/');
    // The shared base styles come bundled into the analytics stylesheet, not fetched by an @import.
    expect(await (await fetch(`${s.url}/assets/analytics-page.css`)).text()).not.toContain('@import');
  });

  it('answers an unknown asset, or the HTML of a page asked for as an asset, 404 in the error envelope', async () => {
    for (const path of ['..%2Fpackage.json', 'search-page.html', 'analytics-page.html']) {
      const res = await fetch(`${s.url}/assets/${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });

  it('leaves /docs its own policy, under which Swagger UI runs', async () => {
    const res = await fetch(`${s.url}/docs/`);
    expect(res.status).toBe(200);
    expect(csp(res)).not.toContain("default-src 'none'");
    expect(await res.text()).toContain('swagger-ui');
  });
});

describe('GET /api/indexes/{index}/fields', () => {
  it('tells a search key what each field allows, without the rest of the schema', async () => {
    const { key } = await s.key(['search']);
    const res = await s.call('GET', '/api/indexes/books/fields', { credential: key });
    expect(res.status).toBe(200);
    expect(res.body.index).toBe('books');
    expect(res.body.id_field).toBe('id');
    expect(res.body.suggest_field).toBe('title');
    expect(res.body.fields).toContainEqual({
      name: 'genre',
      type: 'keyword',
      searchable: false,
      filterable: true,
      facet: true,
      sortable: false,
      array: false,
    });
    expect(Object.keys(res.body).sort()).toEqual(['fields', 'id_field', 'index', 'suggest_field']);
    // The schema itself stays an admin's.
    expect((await s.call('GET', '/api/indexes/books', { credential: key })).status).toBe(403);
  });

  it('needs the search scope and access to the index, and names a missing index', async () => {
    expect((await s.call('GET', '/api/indexes/books/fields')).status).toBe(401);
    const { key: write } = await s.key(['write']);
    expect((await s.call('GET', '/api/indexes/books/fields', { credential: write })).status).toBe(403);
    const { key: other } = await s.key(['search'], { indexes: ['other'] });
    expect((await s.call('GET', '/api/indexes/books/fields', { credential: other })).status).toBe(403);
    const { key } = await s.key(['search']);
    const missing = await s.call('GET', '/api/indexes/nope/fields', { credential: key });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('INDEX_NOT_FOUND');
  });
});
