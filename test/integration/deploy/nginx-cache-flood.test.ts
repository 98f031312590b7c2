import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readText } from '../../support/files.js';
import { freePort } from '../../support/net.js';
import { nginxPrefix, runNginx, type Nginx } from '../../support/nginx.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The shipped nginx search cache under a flood of distinct queries: every distinct URL takes a node in the keys
 * zone, and a full zone made nginx answer 500 itself. Here the zone is shrunk so a few thousand URLs exhaust it
 * (the shipped size needs ~250,000), and every request must still be answered by the upstream.
 */
describe('nginx search cache under a flood of distinct queries', { timeout: 300_000 }, () => {
  const dir = tempDir('sift-nginx-flood-');
  let upstream: Server;
  let nginx: Nginx | undefined;
  const hits = new Map<string, number>();

  beforeAll(async () => {
    // A stand-in upstream: what is tested is nginx's cache, not Sift (the nginx tests run a real Sift).
    upstream = createServer((req, res) => {
      hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
      const boom = req.url?.includes('q=boom');
      res.writeHead(boom ? 500 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(boom ? { error: { code: 'INTERNAL', message: 'upstream' } } : { url: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const port = await freePort();
    const p = nginxPrefix(dir.path, {
      port,
      upstreams: [`127.0.0.1:${(upstream.address() as { port: number }).port}`],
      edit: (conf) => {
        const shrunk = conf
          .replace(/keys_zone=sift_search_cache:\S+/, 'keys_zone=sift_search_cache:16k')
          // One client sends the flood; the per-client rate limit is not what this test is about.
          .replace(/limit_req zone=sift_search[^;]*;/, '');
        if (shrunk === conf) throw new Error('the shipped nginx.conf no longer has the search cache zone');
        return shrunk;
      },
    });
    nginx = await runNginx(p, port);
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await new Promise((r) => upstream?.close(r));
    dir.remove();
  });

  it('answers every distinct query even when the keys zone is full', async () => {
    const statuses: Record<number, number> = {};
    let bypassed = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 48 }, async () => {
        // nginx frees unused nodes to make room, so a full zone shows only when every node is in use at that
        // moment: the flood goes on until that happened a few times (or a bound, which fails the test).
        while (next < 3_000 || (bypassed < 3 && next < 60_000)) {
          const r = await fetch(`${nginx!.url}/api/search?q=flood${next++}`);
          await r.arrayBuffer();
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.headers.get('x-cache-status') === 'BYPASS') bypassed++;
        }
      }),
    );
    expect(statuses).toEqual({ 200: next });
    // The zone really was exhausted: these requests took the uncached fallback (without it they were 500s).
    expect(bypassed).toBeGreaterThan(0);
  });

  it("passes the upstream's own 500 through once, untouched", async () => {
    const r = await fetch(`${nginx!.url}/api/search?q=boom`);
    expect(r.status).toBe(500);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('INTERNAL');
    expect(hits.get('/api/search?q=boom')).toBe(1);
  });

  it('ships a keys zone that holds 200,000 distinct queries', () => {
    const conf = readText('deploy/nginx/nginx.conf');
    const m = /keys_zone=sift_search_cache:(\d+)m/.exec(conf);
    expect(m).not.toBeNull();
    // nginx keeps about 8,000 keys per megabyte of zone.
    expect(Number(m![1]) * 8_000).toBeGreaterThanOrEqual(200_000);
  });
});
