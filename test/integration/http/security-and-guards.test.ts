import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import { DOCS, INDEX, SCHEMA, testConfig } from '../../support/app.js';
import { tempDir } from '../../support/temp-dir.js';
import { send } from '../../support/http-client.js';

describe('CORS, security headers and resource guards', { timeout: 60_000 }, () => {
  const dataDir = tempDir('sift-security-').path;
  let server: RunningServer;
  beforeAll(async () => {
    // Development defaults: CORS for localhost:3000 and :8080.
    server = await startServer(testConfig(dataDir, { MAX_FACETS: '2', MAX_FACET_BUCKETS: '10' }), {
      handleSignals: false,
    });
    await server.service.putIndex(INDEX, SCHEMA);
    await server.service.importDocuments(INDEX, DOCS);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('allows the configured origins only', async () => {
    const url = `${server.url}/api/indexes/${INDEX}/search?q=dune&facets=genre`;
    const allowed = await send(url, { headers: { origin: 'http://localhost:3000' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(String(allowed.headers['access-control-expose-headers'])).toMatch(/x-cache/);
    const other = await send(url, { headers: { origin: 'https://evil.example' } });
    expect(other.status, other.body).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await send(url, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:8080',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:8080');
    expect(String(preflight.headers['access-control-allow-methods'])).toMatch(/POST/);
    expect(String(preflight.headers['access-control-allow-headers'])).toMatch(/authorization/);
  });

  it('sends security headers on API answers and errors', async () => {
    for (const path of [
      `/api/indexes/${INDEX}/search?q=dune&facets=genre`,
      '/api/indexes/nope/search',
      '/health/live',
    ]) {
      const res = await send(`${server.url}${path}`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
      // Headers that only mean something for a rendered page are not sent on answers.
      expect(res.headers['x-xss-protection']).toBeUndefined();
      expect(res.headers['cross-origin-opener-policy']).toBeUndefined();
    }
  });

  it('sends the full document set on pages and /docs', async () => {
    for (const path of ['/docs/', '/']) {
      const res = await send(`${server.url}${path}`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['content-security-policy']).toMatch(/default-src '(?:self|none)'/);
    }
  });

  it('keeps /docs working under its CSP: every script and stylesheet it loads is same-origin and served', async () => {
    let page = await send(`${server.url}/docs`);
    if (page.status >= 300 && page.status < 400)
      page = await send(new URL(String(page.headers.location), `${server.url}/docs/`).href);
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src[^;]*'self'/);
    // No inline script: the CSP would block it.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*\S/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(1);
    for (const asset of assets) {
      expect(asset).not.toMatch(/^(?:https?:)?\/\//);
      const res = await send(new URL(asset, `${server.url}/docs/`).href);
      expect(res.status, asset).toBe(200);
    }
    expect((await send(`${server.url}/openapi.json`)).status).toBe(200);
  });

  it('refuses too many facets and too many buckets with INVALID_FACET', async () => {
    const many = await send(`${server.url}/api/indexes/${INDEX}/search?facets=genre,author,pages`);
    expect(many.status).toBe(400);
    expect(JSON.parse(many.body).error).toMatchObject({ code: 'INVALID_FACET' });
    expect(JSON.parse(many.body).error.message).toMatch(/at most 2 facets/);
    const buckets = await send(`${server.url}/api/indexes/${INDEX}/search`, {
      method: 'POST',
      body: { facets: [{ field: 'genre', size: 11 }] },
    });
    expect(buckets.status).toBe(400);
    expect(JSON.parse(buckets.body).error.message).toMatch(/1-10/);
    const ok = await send(`${server.url}/api/indexes/${INDEX}/search`, {
      method: 'POST',
      body: { facets: [{ field: 'genre', size: 10 }] },
    });
    expect(ok.status).toBe(200);
  });
});

describe('CORS outside development', { timeout: 60_000 }, () => {
  it('uses CORS_ORIGINS, and none at all when it is empty', async () => {
    for (const [origins, expected] of [
      ['https://shop.example', 'https://shop.example'],
      ['', undefined],
    ] as const) {
      const dataDir = tempDir('sift-cors-').path;
      const server = await startServer(
        testConfig(dataDir, { ENVIRONMENT: 'staging', CORS_ORIGINS: origins }),
        {
          handleSignals: false,
        },
      );
      try {
        const res = await send(`${server.url}/health/live`, { headers: { origin: 'https://shop.example' } });
        expect(res.headers['access-control-allow-origin']).toBe(expected);
      } finally {
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});
