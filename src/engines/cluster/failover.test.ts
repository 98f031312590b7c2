import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticsearchTransport } from './elasticsearch.js';
import { OpenSearchTransport } from './opensearch.js';
import { resendable } from './failover.js';
import type { ClusterConnection, ClusterTransport } from './transport.js';

/**
 * The transports against loopback listeners that play a node which hangs (accepts, never answers: what a stopped
 * process looks like), one that refuses (a closed port), one that answers 503, and a healthy one. A request must
 * leave a hung node after one attempt's timeout and be answered by another node, long before its own deadline.
 */

interface FakeNode {
  url: string;
  /** Requests this node received. */
  seen: string[];
  close(): Promise<void>;
}

async function fakeNode(behaviour: 'hang' | 'ok' | 'unavailable'): Promise<FakeNode> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    if (behaviour === 'hang') return;
    res.writeHead(behaviour === 'ok' ? 200 : 503, {
      'content-type': 'application/json',
      'x-elastic-product': 'Elasticsearch',
    });
    res.end(JSON.stringify(behaviour === 'ok' ? { node: 'ok' } : { error: { type: 'unavailable' } }));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on. */
async function refusedUrl(): Promise<string> {
  const n = await fakeNode('ok');
  await n.close();
  return n.url;
}

const transports = {
  opensearch: (c: ClusterConnection) => new OpenSearchTransport(c),
  elasticsearch: (c: ClusterConnection) => new ElasticsearchTransport(c),
};

describe.each(Object.entries(transports))('%s transport with several nodes', (_product, make) => {
  let hung: FakeNode;
  let ok: FakeNode;
  let unavailable: FakeNode;
  let refused: string;
  const open: ClusterTransport[] = [];
  const transport = (nodes: string[], attemptTimeoutMs: number, requestTimeoutMs = 60_000) => {
    const t = make({ nodes, requestTimeoutMs, attemptTimeoutMs });
    open.push(t);
    return t;
  };

  beforeAll(async () => {
    [hung, ok, unavailable] = await Promise.all([fakeNode('hang'), fakeNode('ok'), fakeNode('unavailable')]);
    refused = await refusedUrl();
  });
  afterAll(async () => {
    await Promise.all(open.map((t) => t.close()));
    await Promise.all([hung, ok, unavailable].map((n) => n.close()));
  });

  it('leaves a hung node after one attempt and is answered by another, well within the deadline', async () => {
    hung.seen.length = 0;
    ok.seen.length = 0;
    // The deadline is a minute: only the per-attempt timeout can get this answered within the test's timeout.
    // Generous for a loaded machine: a healthy node that answers slower than one attempt would be marked dead.
    const t = transport([hung.url, ok.url], 2000);
    const res = await t.request({ method: 'GET', path: '/first' });
    expect(res).toEqual({ status: 200, body: { node: 'ok' } });
    expect(hung.seen).toEqual(['GET /first']);
    // The hung node is now dead to the pool: the next requests go straight to the other one.
    await t.request({ method: 'GET', path: '/second' });
    await t.request({ method: 'GET', path: '/third' });
    expect(hung.seen).toEqual(['GET /first']);
    expect(ok.seen).toEqual(['GET /first', 'GET /second', 'GET /third']);
  });

  it('tries another node when one refuses the connection or answers 503', async () => {
    ok.seen.length = 0;
    unavailable.seen.length = 0;
    const t = transport([refused, unavailable.url, ok.url], 10_000);
    for (let i = 0; i < 3; i++) {
      expect((await t.request({ method: 'GET', path: `/r${i}` })).status).toBe(200);
    }
    expect(ok.seen).toEqual(['GET /r0', 'GET /r1', 'GET /r2']);
    expect(unavailable.seen.length).toBeGreaterThan(0);
  });

  it('answers the last 503 when no node can serve, after at most two rounds over the nodes', async () => {
    unavailable.seen.length = 0;
    const t = transport([unavailable.url, refused], 1000);
    const res = await t.request({ method: 'GET', path: '/red' });
    expect(res.status).toBe(503);
    expect(unavailable.seen.length).toBeGreaterThanOrEqual(1);
    expect(unavailable.seen.length).toBeLessThanOrEqual(4);
  });

  it('never sends a request that is not safe twice again after a timeout, but moves it off a refusing node', async () => {
    hung.seen.length = 0;
    ok.seen.length = 0;
    // Creating an index twice would answer "exists" for an index this request created: one attempt, whole deadline.
    const t = transport([hung.url, ok.url], 50, 400);
    await expect(t.request({ method: 'PUT', path: '/new-index' })).rejects.toMatchObject({
      code: 'ENGINE_TIMEOUT',
    });
    expect(hung.seen).toEqual(['PUT /new-index']);
    expect(ok.seen).toEqual([]);
    const moved = transport([refused, ok.url], 50, 5000);
    expect((await moved.request({ method: 'PUT', path: '/other-index' })).status).toBe(200);
    expect(ok.seen).toEqual(['PUT /other-index']);
  });

  it('with one node keeps the whole deadline for one attempt (nowhere to fail over to)', async () => {
    hung.seen.length = 0;
    const t = transport([hung.url], 50, 400);
    await expect(t.request({ method: 'GET', path: '/only' })).rejects.toMatchObject({
      code: 'ENGINE_TIMEOUT',
    });
    expect(hung.seen).toEqual(['GET /only']);
  });

  it('fails with ENGINE_TIMEOUT when every node hangs past the deadline', async () => {
    const t = transport([hung.url, hung.url.replace('127.0.0.1', 'localhost')], 100, 350);
    await expect(t.request({ method: 'GET', path: '/all-hung' })).rejects.toMatchObject({
      code: 'ENGINE_TIMEOUT',
    });
  });
});

describe('resendable', () => {
  it('allows reads, searches, refreshes and bulk writes by id; not index, alias or settings changes', () => {
    expect(resendable('GET', '/_cluster/health')).toBe(true);
    expect(resendable('HEAD', '/')).toBe(true);
    expect(resendable('POST', '/books/_search')).toBe(true);
    expect(resendable('POST', '/books/_count')).toBe(true);
    expect(resendable('POST', '/_bulk')).toBe(true);
    expect(resendable('PUT', '/books-v1')).toBe(false);
    expect(resendable('POST', '/_aliases')).toBe(false);
    expect(resendable('PUT', '/books-v1/_settings')).toBe(false);
    expect(resendable('POST', '/books/_search/point_in_time')).toBe(false);
    expect(resendable('DELETE', '/books-v1')).toBe(false);
  });
});
