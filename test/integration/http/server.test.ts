import { request as httpRequest, Agent, type IncomingMessage } from 'node:http';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import { DOCS, INDEX, SCHEMA, testConfig } from '../../support/app.js';
import { tempDir } from '../../support/temp-dir.js';

let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir().path;
  server = await startServer(testConfig(dataDir), { handleSignals: false });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const api = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
const jsonInit = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('a real listening server', () => {
  it('listens on an ephemeral port and reports a usable URL', async () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await api('/health/live');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('creates an index, stores documents over HTTP, and search finds them', async () => {
    expect((await api(`/api/indexes/${INDEX}`, jsonInit('PUT', SCHEMA))).status).toBe(201);
    const batch = await api(`/api/indexes/${INDEX}/documents`, jsonInit('POST', DOCS));
    expect(batch.status).toBe(200);
    expect(await batch.json()).toMatchObject({ indexed: DOCS.length, failed: 0 });

    const put = await api(
      `/api/indexes/${INDEX}/documents/solaris`,
      jsonInit('PUT', {
        title: 'Solaris',
        summary: 'An ocean planet that thinks.',
        author: 'Lem',
        genre: 'scifi',
        pages: 204,
      }),
    );
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({ id: 'solaris', result: 'created' });

    const found = await api('/api/search?q=ocean%20planet');
    expect(found.status).toBe(200);
    const body = (await found.json()) as { hits: { id: string }[]; total: number };
    expect(body.hits.map((h) => h.id)).toEqual(['solaris']);

    const viaPost = await api(
      `/api/indexes/${INDEX}/search`,
      jsonInit('POST', { q: 'solaris', fields: ['title'] }),
    );
    expect(((await viaPost.json()) as { hits: { document: unknown }[] }).hits[0]!.document).toEqual({
      title: 'Solaris',
    });
    expect((await api('/health/ready')).status).toBe(200);
  });

  it('errors over the wire keep the catalogue shape', async () => {
    const res = await api('/api/search?size=1000');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    const missing = await api('/no/such/route', { headers: { 'x-request-id': 'trace-me-1' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toBe('trace-me-1');
  });

  it('keeps connections alive between requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<{ res: IncomingMessage; body: string; reused: boolean }>((resolve, reject) => {
        const req = httpRequest(`${server.url}${path}`, { agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ res, body, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      const first = await get('/api/search?q=dune');
      const second = await get('/api/search?q=hobbit');
      const third = await get('/health/live');
      expect(first.res.statusCode).toBe(200);
      expect(second.res.statusCode).toBe(200);
      expect(third.res.statusCode).toBe(200);
      expect(first.res.headers.connection).toBe('keep-alive');
      expect(first.reused).toBe(false);
      expect(second.reused).toBe(true);
      expect(third.reused).toBe(true);
      expect(first.res.headers['keep-alive']).toMatch(/timeout=\d+/);
    } finally {
      agent.destroy();
    }
  });
});

describe('start-up failures', () => {
  it('rejects when the port is taken, leaving nothing open', async () => {
    const dir = tempDir().path;
    try {
      await expect(
        startServer(testConfig(dir, { PORT: String(server.port) }), { handleSignals: false }),
      ).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a fresh start with the bundled sample', () => {
  it('loads the sample into the default index so /api/search?q=test answers', async () => {
    const dir = tempDir().path;
    const sample = await startServer(
      testConfig(dir, { LOAD_SAMPLE_DATA: 'true', DEFAULT_INDEX: 'packages' }),
      { handleSignals: false },
    );
    try {
      const res = await fetch(`${sample.url}/api/search?q=test`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { total: number; hits: unknown[] };
      expect(body.total).toBeGreaterThan(0);
      expect(body.hits.length).toBeGreaterThan(0);
      expect((await fetch(`${sample.url}/health/ready`)).status).toBe(200);
    } finally {
      await sample.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
