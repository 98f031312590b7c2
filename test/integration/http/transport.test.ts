import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../../src/errors.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { testConfig } from '../../support/app.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * What Node's HTTP server refuses below Fastify's routing (header overflow, malformed HTTP, slow clients), and
 * methods on known paths, over real sockets: every answer is Sift's envelope with a catalogue code.
 */

const TIMEOUT_MS = 2000;
let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir().path;
  server = await startServer(
    testConfig(dataDir, { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), CORS_ORIGINS: 'http://localhost:3000' }),
    { handleSignals: false },
  );
});
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** From the first byte sent to the server closing the connection. */
  elapsedMs: number;
}

/**
 * Sends `parts` on a fresh connection, one every `everyMs` (all at once when 0; the last part is left hanging when
 * `hold` is set), and resolves with what came back once the server closes the connection.
 */
function exchange(parts: (string | Buffer)[], everyMs = 0, giveUpMs = 15_000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let started = 0;
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const next = () => {
      if (i >= parts.length || socket.destroyed) return;
      socket.write(parts[i++]!);
      if (everyMs > 0) timer = setTimeout(next, everyMs);
      else next();
    };
    socket.on('connect', () => {
      started = Date.now();
      next();
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => undefined);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('close', () => {
      clearTimeout(giveUp);
      clearTimeout(timer);
      const elapsedMs = Date.now() - started;
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split === -1 ? text.length : split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: split === -1 ? '' : text.slice(split + 4),
        elapsedMs,
      });
    });
  });
}

/** The response is the envelope with `code`, its catalogue status, an exact length and a request id. */
function expectEnvelope(res: Exchange, code: keyof typeof ERRORS, message?: RegExp): void {
  expect(res.status, res.body).toBe(ERRORS[code].status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
  expect(res.headers['x-request-id']).toBeTruthy();
  const body = JSON.parse(res.body) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  if (message) expect(body.error.message).toMatch(message);
}

describe('refusals made below routing answer in the envelope', () => {
  it('a GET whose URL is over the header limit is 431 and points to POST', async () => {
    const res = await exchange([`GET /api/search?filter=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`]);
    expectEnvelope(res, 'HEADERS_TOO_LARGE', /URL is too long.*POST \/api\/search/);
    expect(res.headers.connection).toBe('close');
  });

  it('headers over the limit are 431', async () => {
    const res = await exchange([
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
    ]);
    expectEnvelope(res, 'HEADERS_TOO_LARGE', /larger than 16384 bytes/);
  });

  it('Content-Length with Transfer-Encoding is 400 INVALID_HTTP', async () => {
    const res = await exchange([
      'POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ]);
    expectEnvelope(res, 'INVALID_HTTP', /Content-Length and Transfer-Encoding/);
    expect(res.headers.connection).toBe('close');
  });

  it('a malformed request line and a bad chunk are 400 INVALID_HTTP', async () => {
    expectEnvelope(await exchange(['GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n']), 'INVALID_HTTP');
    expectEnvelope(
      await exchange([
        'POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          'Transfer-Encoding: chunked\r\n\r\nzz\r\n',
      ]),
      'INVALID_HTTP',
      /chunk/,
    );
  });

  it('an HTTP/1.1 request without Host is 400 with the request id it sent', async () => {
    const res = await exchange([
      'GET /health/live HTTP/1.1\r\nX-Request-Id: no-host-1\r\nConnection: close\r\n\r\n',
    ]);
    expectEnvelope(res, 'INVALID_HTTP', /Host/);
    expect(res.headers['x-request-id']).toBe('no-host-1');
  });

  it('an Expect other than 100-continue is 417', async () => {
    const res = await exchange(['GET /health/live HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n']);
    expectEnvelope(res, 'EXPECTATION_FAILED', /teapot/);
  });

  it('a CORS preflight without Origin is 400 in the envelope; a real preflight still works', async () => {
    const bad = await exchange(['OPTIONS /api/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expectEnvelope(bad, 'INVALID_REQUEST', /Origin/);
    const good = await fetch(`${server.url}/api/search`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(good.status).toBe(204);
    expect(good.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });
});

describe('a known path with a wrong method', () => {
  const cases: [string, string, string][] = [
    ['DELETE', '/health/live', 'GET, HEAD'],
    ['PATCH', '/api/indexes/some-index', 'GET, HEAD, PUT, DELETE'],
    ['PUT', '/api/search', 'GET, HEAD, POST'],
    ['GET', '/api/indexes/some-index/documents', 'POST, PATCH'],
  ];

  it.each(cases)('%s %s is 405 with Allow: %s', async (method, path, allow) => {
    const res = await fetch(`${server.url}${path}`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('every method an Allow header lists is routed (the list comes from the routes)', async () => {
    for (const [method, path] of cases) {
      const allow = (await fetch(`${server.url}${path}`, { method })).headers.get('allow')!;
      for (const m of allow.split(', ')) {
        const res = await fetch(`${server.url}${path}`, {
          method: m,
          ...(m === 'POST' || m === 'PUT'
            ? { headers: { 'content-type': 'application/json' }, body: '{}' }
            : {}),
        });
        const code = m === 'HEAD' ? null : ((await res.json()) as { error?: { code: string } }).error?.code;
        expect(res.status, `${m} ${path}`).not.toBe(405);
        expect(code, `${m} ${path}`).not.toBe('NOT_FOUND');
      }
    }
  });

  it('an unknown path is still 404 without Allow', async () => {
    const res = await fetch(`${server.url}/api/nothing/here`, { method: 'PATCH' });
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
  });
});

describe(`REQUEST_TIMEOUT_MS=${TIMEOUT_MS} bounds slow clients`, () => {
  // A correctness bound from the configuration, not a speed goal: the cut comes from REQUEST_TIMEOUT_MS, not from
  // Node's own defaults (60 s for headers, 300 s for a request) nor from the client finishing (a trickle lasts
  // 40 s or more). Node checks deadlines every 250 ms here, but the server shares its event loop with this test's
  // 200 trickling clients, and on a machine busy with other test files a 1 s margin was once not enough.
  const CUT_WITHIN_MS = TIMEOUT_MS + 8000;
  const expectCut = (res: Exchange) => {
    expectEnvelope(res, 'REQUEST_TIMEOUT', new RegExp(`${TIMEOUT_MS} ms`));
    expect(res.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(res.elapsedMs).toBeLessThanOrEqual(CUT_WITHIN_MS);
  };
  const slowHeaders = () => [
    'GET /health/live HTTP/1.1\r\n',
    ...Array.from({ length: 200 }, (_, i) => `X-Slow-${i}: still coming\r\n`),
  ];

  it('headers that trickle in are cut with 408', async () => {
    expectCut(await exchange(slowHeaders(), 200));
  });

  it('a connection that sends nothing is cut with 408', async () => {
    expectCut(await exchange([]));
  });

  it('a body that trickles in is cut with 408 carrying the request id', async () => {
    const head =
      'POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'X-Request-Id: slow-body-1\r\nContent-Length: 1000\r\n\r\n';
    const res = await exchange([head, ...Array.from({ length: 999 }, () => ' ')], 200);
    expectCut(res);
    expect(res.headers['x-request-id']).toBe('slow-body-1');
  });

  it('200 slow connections do not stop other clients, and each is cut in time', async () => {
    const slow: Promise<Exchange>[] = [];
    for (let i = 0; i < 200; i++) slow.push(exchange(slowHeaders(), 250));
    // Let every slow connection open and start trickling before the normal client arrives.
    await new Promise((r) => setTimeout(r, 300));
    const live = await fetch(`${server.url}/health/live`);
    expect(live.status).toBe(200);
    const search = await fetch(`${server.url}/api/search?q=anything`);
    expect(search.status).toBeLessThan(500);
    for (const res of await Promise.all(slow)) expectCut(res);
  });
});
