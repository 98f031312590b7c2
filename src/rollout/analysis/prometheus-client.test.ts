import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiftError } from '../../errors.js';
import { PrometheusClient, readQueryResponse } from './prometheus-client.js';

const vector = (...values: string[]) => ({
  status: 'success',
  data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1, v] })) },
});

describe('reading /api/v1/query answers', () => {
  it('takes the one number of a vector or a scalar', () => {
    expect(readQueryResponse(200, vector('0.25'))).toEqual({ kind: 'value', value: 0.25 });
    expect(
      readQueryResponse(200, { status: 'success', data: { resultType: 'scalar', result: [1, '3'] } }),
    ).toEqual({
      kind: 'value',
      value: 3,
    });
  });

  it('reads +Inf as a value (a quantile beyond the last bucket) and NaN as no data (0/0)', () => {
    expect(readQueryResponse(200, vector('+Inf'))).toEqual({ kind: 'value', value: Infinity });
    expect(readQueryResponse(200, vector('NaN')).kind).toBe('no-data');
  });

  it('calls an empty vector no data', () => {
    expect(readQueryResponse(200, vector())).toEqual({
      kind: 'no-data',
      reason: 'the query returned no series',
    });
  });

  it('refuses several series, showing some of them', () => {
    const r = readQueryResponse(200, vector('1', '2', '3', '4'));
    expect(r.kind).toBe('error');
    expect(r.kind === 'error' && r.reason).toMatch(
      /4 series \(\{i="0"\} 1, \{i="1"\} 2, \{i="2"\} 3, \.\.\.\); aggregate/,
    );
  });

  it("passes on Prometheus's own error and refuses other result types", () => {
    const err = readQueryResponse(400, { status: 'error', errorType: 'bad_data', error: 'parse error' });
    expect(err).toEqual({ kind: 'error', reason: 'Prometheus refused the query (bad_data): parse error' });
    const matrix = readQueryResponse(200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    expect(matrix.kind === 'error' && matrix.reason).toContain('matrix');
    expect(readQueryResponse(502, 'oops').kind).toBe('error');
  });
});

describe('PrometheusClient requests', () => {
  // A real HTTP server that answers like Prometheus and remembers what it was sent.
  let server: Server;
  let base: string;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url!, headers: req.headers });
      if (req.url!.startsWith('/slow/')) return; // never answers
      if (req.url!.startsWith('/text/')) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(vector('1')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const signal = new AbortController().signal;

  it('keeps a path prefix, sends the query and a server-side timeout', async () => {
    const c = new PrometheusClient({ url: `${base}/prometheus`, timeoutMs: 2000 });
    expect(await c.query('up{color="blue"}', signal)).toEqual({ kind: 'value', value: 1 });
    const url = new URL(seen.at(-1)!.url, base);
    expect(url.pathname).toBe('/prometheus/api/v1/query');
    expect(url.searchParams.get('query')).toBe('up{color="blue"}');
    expect(url.searchParams.get('timeout')).toBe('2000ms');
  });

  it('sends a bearer token, or basic auth from options or from the URL, and never shows credentials', async () => {
    await new PrometheusClient({ url: base, auth: { bearerToken: 't0ken' } }).query('1', signal);
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer t0ken');
    await new PrometheusClient({ url: base, auth: { username: 'u', password: 'p w' } }).query('1', signal);
    expect(seen.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('u:p w').toString('base64')}`);
    const fromUrl = new PrometheusClient({ url: base.replace('//', '//ops:s%40cret@') });
    await fromUrl.query('1', signal);
    expect(seen.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('ops:s@cret').toString('base64')}`);
    expect(fromUrl.where).not.toContain('cret');
  });

  it('turns a non-JSON answer and a timeout into reasons, not exceptions', async () => {
    const text = await new PrometheusClient({ url: `${base}/text` }).query('1', signal);
    expect(text).toEqual({
      kind: 'error',
      reason: `Prometheus at ${base}/text answered 401 Unauthorized: Unauthorized`,
    });
    const slow = await new PrometheusClient({ url: `${base}/slow`, timeoutMs: 200 }).query('1', signal);
    expect(slow).toEqual({
      kind: 'error',
      reason: `Prometheus at ${base}/slow could not be queried: no answer within 200 ms`,
    });
  });

  it('refuses a URL that is not http(s) with DEPLOY_INVALID', () => {
    for (const url of ['ftp://x', 'localhost:9090', '']) {
      let err: unknown;
      try {
        new PrometheusClient({ url });
      } catch (e) {
        err = e;
      }
      expect(isSiftError(err) && err.code, url).toBe('DEPLOY_INVALID');
    }
  });
});
