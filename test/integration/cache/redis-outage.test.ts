import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, INDEX, SCHEMA } from '../../support/app.js';
import { killQuietly, spawnServer, type Child } from '../../support/sift-process.js';
import { tempDir } from '../../support/temp-dir.js';
import { metricValue, redisEnv, send, sleep, steadyLoad, type Answer } from '../../support/http-client.js';

const run = promisify(execFile);
const INSTANCE = `outage-${process.pid}`;

/** Starts (or restarts, on the same port) a Redis of our own: this test kills it, others must not notice. */
async function redis(action: 'start' | 'stop', port?: string): Promise<string> {
  const { stdout } = await run('bash', ['scripts/services/redis.sh', action, INSTANCE], {
    env: { ...process.env, ...(port ? { SIFT_REDIS_PORT: port } : {}) },
    timeout: 300_000,
  });
  return action === 'start' ? (JSON.parse(stdout.trim().split('\n').at(-1)!) as { url: string }).url : '';
}

describe('Redis killed and restarted under load', { timeout: 180_000 }, () => {
  const dataDir = tempDir('sift-cache-outage-').path;
  let sift: Child | undefined;
  let redisUrl = '';
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  beforeAll(async () => {
    redisUrl = await redis('start');
    sift = await spawnServer({
      DATA_DIR: dataDir,
      DEFAULT_INDEX: INDEX,
      LOG_LEVEL: 'info',
      CACHE_TTL_SECONDS: '600',
      REDIS_COMMAND_TIMEOUT_MS: '200',
      // The limiter stays on (its Redis store fails open during the outage) but must not refuse this load.
      RATE_LIMIT_SEARCH_PER_MINUTE: '1000000',
      RATE_LIMIT_WRITE_PER_MINUTE: '1000000',
      ...redisEnv(redisUrl),
    });
    expect((await send(`${sift.url}/api/indexes/${INDEX}`, { method: 'PUT', body: SCHEMA })).status).toBe(
      201,
    );
    expect(
      (await send(`${sift.url}/api/indexes/${INDEX}/documents`, { method: 'POST', body: DOCS })).status,
    ).toBe(200);
  });
  afterAll(async () => {
    agent.destroy();
    killQuietly(sift);
    await redis('stop').catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves every request without a 5xx, stays correct, logs once, and uses the cache again once Redis is back', async () => {
    const queries = ['dune', 'empire', 'desert planet', 'foundation', 'robot'].map(
      (q) => `${sift!.url}/api/indexes/${INDEX}/search?q=${encodeURIComponent(q)}&facets=genre`,
    );
    let n = 0;
    const readers = steadyLoad(6, () => send(queries[n++ % queries.length]!, { agent }));
    // Writes go on too, each checked by a read-after-write.
    let version = 0;
    const stale: number[] = [];
    const writer = steadyLoad(1, async (): Promise<Answer> => {
      const v = ++version;
      const put = await send(`${sift!.url}/api/indexes/${INDEX}/documents/probe`, {
        method: 'PUT',
        body: { title: 'Probe', pages: v },
        agent,
      });
      if (put.status >= 300) return put;
      const read = await send(`${sift!.url}/api/indexes/${INDEX}/search?q=probe&fields=pages`, { agent });
      const pages = (JSON.parse(read.body) as { hits: { document: { pages: number } }[] }).hits[0]?.document
        .pages;
      if (pages !== v) stale.push(v);
      return read;
    });

    await sleep(1500);
    const port = new URL(redisUrl).port;
    await redis('stop');
    await sleep(2500);
    await redis('start', port);
    // Recovered: the cache answers hits again.
    let recovered = false;
    for (let i = 0; i < 60 && !recovered; i++) {
      await sleep(250);
      await send(queries[0]!, { agent });
      recovered = (await send(queries[0]!, { agent })).headers['x-cache'] === 'HIT';
    }
    const answers = [...(await readers.stop()), ...(await writer.stop())];

    const failures = answers.filter((a) => a instanceof Error || a.status >= 500);
    expect(failures.slice(0, 3), `${failures.length} failed of ${answers.length}`).toEqual([]);
    expect(answers.length).toBeGreaterThan(100);
    expect(stale).toEqual([]);
    expect(recovered).toBe(true);

    const metrics = (await send(`${sift!.url}/metrics`)).body;
    expect(metricValue(metrics, 'sift_cache_errors_total', { store: 'redis' })).toBeGreaterThan(0);
    expect(metricValue(metrics, 'sift_cache_requests_total', { result: 'bypass' })).toBeGreaterThan(0);
    const log = sift!.output();
    expect(log.match(/redis unavailable/g)?.length).toBe(1);
    expect(log.match(/redis reconnected/g)?.length).toBe(1);
  });
});
