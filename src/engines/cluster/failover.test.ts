import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticsearchTransport } from './elasticsearch.js';
import { OpenSearchTransport } from './opensearch.js';
import { attemptOf } from './failover.js';
import type { ClusterConnection, ClusterTransport } from './transport.js';

/**
 * The transports against loopback listeners that play a node which hangs (accepts, never answers: what a stopped
 * process looks like), one that refuses (a closed port), one that answers 503, and a healthy one. A request must
 * leave a hung node after one attempt's timeout and be answered by another node, long before its own deadline;
 * the next requests must not go to the hung node at all (it is suspect until a probe of Sift's own is answered).
 */

/** The probe failover.ts sends a suspect node (and the others, for their node ids). */
const PROBE = '/_nodes/_local';

interface FakeNode {
  url: string;
  /** Requests this node received, probes left out. */
  seen: string[];
  /** Probes this node received. */
  probes: number;
  close(): Promise<void>;
}

async function fakeNode(
  behaviour: 'hang' | 'ok' | 'unavailable',
  id = 'id-ok',
  /** Requests (not probes) left unanswered before the node answers: a node that was held up once. */
  hangFirst = 0,
): Promise<FakeNode> {
  const node: FakeNode = { url: '', seen: [], probes: 0, close: async () => undefined };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const probe = req.url!.startsWith(PROBE);
    if (probe) node.probes++;
    else node.seen.push(`${req.method} ${req.url}`);
    req.resume();
    if (behaviour === 'hang' || (!probe && node.seen.length <= hangFirst)) return;
    res.writeHead(behaviour === 'ok' ? 200 : 503, {
      'content-type': 'application/json',
      'x-elastic-product': 'Elasticsearch',
    });
    const body =
      behaviour === 'unavailable'
        ? { error: { type: 'unavailable' } }
        : probe
          ? { nodes: { [id]: { name: id } } }
          : { node: 'ok' };
    res.end(JSON.stringify(body));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  node.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  node.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return node;
}

async function until(check: () => boolean, withinMs = 5000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > withinMs) throw new Error('condition not met in time');
    await sleep(10);
  }
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

  it('keeps retrying a read that nodes answer 503 until its deadline, then answers the last 503', async () => {
    unavailable.seen.length = 0;
    const t = transport([unavailable.url, refused], 1000, 1500);
    const started = performance.now();
    const res = await t.request({ method: 'GET', path: '/red' });
    expect(res.status).toBe(503);
    // Rounds 100, 200, 400 ms apart: a promotion that takes a second is waited out.
    expect(unavailable.seen.length).toBeGreaterThanOrEqual(3);
    expect(performance.now() - started).toBeGreaterThan(600);
  });

  it('gives a bulk write two rounds over the nodes (bulk.ts has its own backoff)', async () => {
    unavailable.seen.length = 0;
    const t = transport([unavailable.url, refused], 1000, 60_000);
    const res = await t.request({ method: 'POST', path: '/_bulk', bulkBody: '{}\n' });
    expect(res.status).toBe(503);
    expect(unavailable.seen.length).toBe(2);
  });

  it('answers at once when every node refuses (the cluster is down), long before the deadline', async () => {
    const other = await refusedUrl();
    const t = transport([refused, other], 1000, 60_000);
    await expect(t.request({ method: 'GET', path: '/down' })).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
    });
  });

  it('asks for shard copies on the other nodes while one is unreachable, by the ids the probes learnt', async () => {
    hung.seen.length = 0;
    ok.seen.length = 0;
    ok.probes = 0;
    const t = transport([hung.url, ok.url], 300);
    await t.request({ method: 'POST', path: '/books/_search', body: { query: { match_all: {} } } });
    // The hung node's probe (at most one attempt's 300 ms) fails: unreachable; the other's id is known.
    await until(() => ok.probes > 0);
    await sleep(700);
    await t.request({ method: 'POST', path: '/books/_search', body: { query: { match_all: {} } } });
    await t.request({ method: 'POST', path: '/books/_search', querystring: { preference: 'mine' } });
    expect(ok.seen.slice(-2)).toEqual([
      'POST /books/_search?preference=_prefer_nodes%3Aid-ok',
      'POST /books/_search?preference=mine',
    ]);
  });

  it('trusts a suspect node again once it answers a probe', async () => {
    const once = await fakeNode('ok', 'id-once', 1);
    try {
      const t = transport([once.url, ok.url], 300);
      // The first attempt times out on a node held up once: suspect, then probed, answers, trusted.
      expect((await t.request({ method: 'GET', path: '/held' })).status).toBe(200);
      // The first probe asks its id (at the first request), the second finds it back after it failed.
      await until(() => once.probes >= 2);
      await sleep(50);
      for (let i = 0; i < 4; i++) await t.request({ method: 'GET', path: `/rr${i}` });
      expect(once.seen.filter((r) => r.startsWith('GET /rr')).length).toBe(2);
    } finally {
      await once.close();
    }
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

describe('attemptOf', () => {
  it("reads the clients' errors as how the attempt ended", () => {
    const named = (name: string, message = '') => Object.assign(new Error(message), { name });
    expect(attemptOf(named('ConnectionError', 'connect ECONNREFUSED 127.0.0.1:9200'))).toEqual({
      kind: 'refused',
    });
    expect(attemptOf(named('NoLivingConnectionsError'))).toEqual({ kind: 'refused' });
    expect(attemptOf(named('ConnectionError', 'socket hang up'))).toEqual({ kind: 'lost' });
    expect(attemptOf(named('ConnectionError', 'read ECONNRESET'))).toEqual({ kind: 'lost' });
    expect(attemptOf(named('TimeoutError', 'Request timed out'))).toEqual({ kind: 'timeout' });
    const answer = Object.assign(named('ResponseError'), { meta: { statusCode: 503, body: { error: {} } } });
    expect(attemptOf(answer)).toEqual({ kind: 'answer', status: 503, body: { error: {} } });
    expect(attemptOf(named('SerializationError'))).toBeUndefined();
  });
});
