import { rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX, SCHEMA } from '../../support/app.js';
import { killQuietly, type Child } from '../../support/sift-process.js';
import { tempDir } from '../../support/temp-dir.js';
import { metricValue, send, sleep, steadyLoad } from '../../support/http-client.js';
import { spawnWorkerPool } from '../../support/sift-process.js';

const workerPids = (child: Child): number[] =>
  [...child.output().matchAll(/"worker_pid":(\d+)/g)].map((m) => Number(m[1]));

/** Polls `done` every 250 ms until it holds or `ms` have passed (the assertion after it says what was missing). */
async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await sleep(250);
}

/** A worker pool of two workers on one embedded database, no Redis: what staging runs by default. */
describe('worker pool (node:cluster workers)', { timeout: 300_000 }, () => {
  const dataDir = tempDir('sift-worker-pool-').path;
  let pool: Child | undefined;
  // Two workers start from source at once, on an empty data directory (the case that once met "database is
  // locked"); the primary allows each 60 s to listen.
  beforeAll(async () => {
    pool = await spawnWorkerPool(
      {
        DATA_DIR: dataDir,
        DEFAULT_INDEX: INDEX,
        WORKERS: '2',
        CACHE_TTL_SECONDS: '600',
        RATE_LIMIT_ENABLED: 'false',
        SHUTDOWN_GRACE_MS: '10000',
      },
      120_000,
    );
    expect((await send(`${pool.url}/api/indexes/${INDEX}`, { method: 'PUT', body: SCHEMA })).status).toBe(
      201,
    );
  }, 150_000);
  afterAll(() => {
    killQuietly(pool);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sums the metrics of every worker at /metrics', async () => {
    const before = (await send(`${pool!.url}/metrics`)).body;
    // New connection each time: the primary hands connections to the workers in turn.
    for (let i = 0; i < 20; i++) expect((await send(`${pool!.url}/health/live`)).status).toBe(200);
    const res = await send(`${pool!.url}/metrics`);
    expect(res.headers['x-metrics-scope']).toBe('cluster');
    const live = { route: '/health/live', method: 'GET', status: '200' };
    expect(
      metricValue(res.body, 'http_requests_total', live) - metricValue(before, 'http_requests_total', live),
    ).toBe(20);
    expect(workerPids(pool!)).toHaveLength(2);
  });

  it('read-after-write across workers without Redis (generations shared by the primary)', async () => {
    for (let i = 0; i < 30; i++) {
      const search = `${pool!.url}/api/indexes/${INDEX}/search?q=kite&fields=pages`;
      await send(search);
      await send(search);
      const put = await send(`${pool!.url}/api/indexes/${INDEX}/documents/kite`, {
        method: 'PUT',
        body: { title: 'Kite', pages: i },
      });
      expect(put.status).toBeLessThan(300);
      for (let r = 0; r < 2; r++) {
        const hits = JSON.parse((await send(search)).body).hits as { document: { pages: number } }[];
        expect(hits.map((h) => h.document.pages)).toEqual([i]);
      }
    }
  });

  it('loses nothing when both workers import concurrently', async () => {
    const batches = 16;
    const perBatch = 250;
    const answers = await Promise.all(
      Array.from({ length: batches }, (_, b) =>
        send(`${pool!.url}/api/indexes/${INDEX}/documents`, {
          method: 'POST',
          body: Array.from({ length: perBatch }, (_, i) => ({
            id: `bulk-${b}-${i}`,
            title: `Bulk ${b} ${i}`,
            pages: i,
          })),
        }),
      ),
    );
    for (const a of answers) {
      expect(a.status, a.body.slice(0, 300)).toBe(200);
      expect(JSON.parse(a.body).failed).toBe(0);
    }
    const total = JSON.parse(
      (await send(`${pool!.url}/api/indexes/${INDEX}/search?q=bulk&size=0&track_total=true`)).body,
    ).total;
    expect(total).toBe(batches * perBatch);
  });

  it('replaces a crashed worker', async () => {
    const [victim] = workerPids(pool!);
    process.kill(victim!, 'SIGKILL');
    // A worker starts from source (TypeScript compiled on load): on a machine busy with other test files that
    // takes tens of seconds. The primary gives a worker 60 s to listen; wait for that and the restart backoff.
    await until(() => workerPids(pool!).length >= 3, 120_000);
    expect(workerPids(pool!)).toHaveLength(3);
    expect(pool!.output()).toMatch(new RegExp(`worker ${victim} died`));
    for (let i = 0; i < 6; i++) expect((await send(`${pool!.url}/health/live`)).status).toBe(200);
  });

  it('SIGHUP replaces every worker under steady load without a failed request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const pidsBefore = workerPids(pool!).length;
    let n = 0;
    const load = steadyLoad(8, () =>
      send(`${pool!.url}/api/indexes/${INDEX}/search?q=bulk&page=${(n++ % 5) + 1}`, { agent }),
    );
    await sleep(1000);
    pool!.proc.kill('SIGHUP');
    // Each of the two workers is replaced in turn, each new one allowed the primary's 60 s to listen.
    await until(() => /rolling restart complete/.test(pool!.output()), 180_000);
    await sleep(1000);
    const answers = await load.stop();
    agent.destroy();
    expect(pool!.output()).toMatch(/rolling restart complete/);
    expect(workerPids(pool!).length).toBe(pidsBefore + 2);
    const failed = answers.filter((a) => a instanceof Error || a.status !== 200);
    expect(
      failed.slice(0, 3).map((f) => (f instanceof Error ? f.message : `${f.status} ${f.body.slice(0, 200)}`)),
      `${failed.length} of ${answers.length} failed`,
    ).toEqual([]);
    expect(answers.length).toBeGreaterThan(100);
  });

  it('SIGTERM drains every worker and exits 0', async () => {
    pool!.proc.kill('SIGTERM');
    const { code } = await pool!.exited;
    expect(code).toBe(0);
    expect(pool!.output()).toMatch(/all workers drained/);
  });
});
