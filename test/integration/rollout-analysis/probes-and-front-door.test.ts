import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiftError } from '../../../src/errors.js';
import {
  frontDoorAnalysis,
  probeAnalysis,
  runAnalyses,
  type FrontDoorOptions,
  type ProbeOptions,
} from '../../../src/rollout/analysis/index.js';
import type { AnalysisContext, Color } from '../../../src/rollout/types.js';
import { tempDir } from '../../support/temp-dir.js';
import { freePort } from '../../support/net.js';
import { startSift, type SiftProcess } from '../../support/sift-process.js';
import { startNginx, type Nginx } from '../../support/nginx.js';
import { ProcessTarget, type ProcessInstance } from './support/process-target.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return isSiftError(err) ? err.code : `not a SiftError: ${String(err)}`;
  }
  return 'no error';
};

/** A real TCP listener that accepts and never answers: a hung instance or front door. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => void sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('probes and the front-door check against real Sift processes and nginx', { timeout: 60_000 }, () => {
  const dirs = [
    tempDir('sift-probe-a-'),
    tempDir('sift-probe-b-'),
    tempDir('sift-probe-broken-'),
    tempDir('sift-probe-locked-'),
  ];
  const nginxDirs = [
    tempDir('sift-fd-ok-'),
    tempDir('sift-fd-broken-'),
    tempDir('sift-fd-mixed-'),
    tempDir('sift-fd-locked-'),
  ];
  let healthyA: SiftProcess | undefined;
  let healthyB: SiftProcess | undefined;
  let broken: SiftProcess | undefined;
  let locked: SiftProcess | undefined;
  const nginx: Nginx[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let a: ProcessInstance;
  let b: ProcessInstance;
  let bad: ProcessInstance;
  const ctx = (
    target: ProcessTarget,
    color: Color,
    signal = AbortSignal.timeout(45_000),
  ): AnalysisContext => ({
    color,
    target,
    signal,
  });
  const fast: ProbeOptions = { backoffMs: 50 };

  beforeAll(async () => {
    const closedPort = await freePort();
    const common = { LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false' };
    [healthyA, healthyB, broken, locked] = await Promise.all([
      startSift({ dataDir: dirs[0]!.path, env: { ...common, LOAD_SAMPLE_DATA: 'true' } }),
      startSift({ dataDir: dirs[1]!.path, env: { ...common, LOAD_SAMPLE_DATA: 'true' } }),
      // Its engine is a cluster at a closed port: alive, but not ready and every search 503.
      startSift({
        dataDir: dirs[2]!.path,
        env: {
          ...common,
          SEARCH_ENGINE: 'opensearch',
          ELASTICSEARCH_URL: `http://127.0.0.1:${closedPort}`,
          ELASTICSEARCH_RETRIES: '0',
        },
      }),
      // Ready, but reads need credentials: every search answers 401 (a release with a broken auth setting).
      startSift({
        dataDir: dirs[3]!.path,
        env: { ...common, LOAD_SAMPLE_DATA: 'true', AUTH_REQUIRED: 'true', AUTH_PUBLIC_READS: 'false' },
      }),
    ]);
    a = { id: 'a', url: healthyA.url };
    b = { id: 'b', url: healthyB.url };
    bad = { id: 'bad', url: broken.url };
    const host = (s: SiftProcess) => `127.0.0.1:${s.port}`;
    nginx.push(
      await startNginx(nginxDirs[0]!.path, [host(healthyA), host(healthyB)]),
      await startNginx(nginxDirs[1]!.path, [host(broken)]),
      await startNginx(nginxDirs[2]!.path, [host(healthyA), host(broken)], { retry503: false }),
      await startNginx(nginxDirs[3]!.path, [host(locked!)]),
    );
  }, 300_000);

  afterAll(async () => {
    for (const c of cleanups) await c().catch(() => undefined);
    await Promise.all(nginx.map((n) => n.stop()));
    await Promise.all([healthyA?.stop(), healthyB?.stop(), broken?.stop(), locked?.stop()]);
    for (const d of [...dirs, ...nginxDirs]) d.remove();
  });

  describe('probes', () => {
    it("passes every path of the seed when all of the colour's instances answer 200, probing each once", async () => {
      const target = new ProcessTarget({ blue: [a, b], green: [] });
      const ms = await probeAnalysis(fast).run(ctx(target, 'blue'));
      expect(ms.map((m) => [m.name, m.value, m.threshold, m.ok])).toEqual([
        ['probe /health/live', 2, '2/2', true],
        ['probe /health/ready', 2, '2/2', true],
        ['probe /api/search?q=test', 2, '2/2', true],
      ]);
      expect(ms[1]!.detail).toBe('2/2 blue instances answered 200');
      expect(target.probes).toHaveLength(6);
    });

    it('fails the paths a broken instance fails, naming it and why, after a bounded number of tries', async () => {
      const target = new ProcessTarget({ blue: [], green: [a, bad] });
      const ms = await probeAnalysis(fast).run(ctx(target, 'green'));
      expect(ms.map((m) => [m.name, m.value, m.ok])).toEqual([
        ['probe /health/live', 2, true],
        ['probe /health/ready', 1, false],
        ['probe /api/search?q=test', 1, false],
      ]);
      const address = new URL(bad.url).host;
      expect(ms[1]!.detail).toBe(`bad (${address}): 503 after 3 tries, want 200`);
      expect(ms[2]!.detail).toBe(`bad (${address}): 503 after 3 tries, want 200`);
      const tries = (path: string) =>
        target.probes.filter((p) => p.instance === 'bad' && p.path === path).length;
      expect([tries('/health/live'), tries('/health/ready'), tries('/api/search?q=test')]).toEqual([1, 3, 3]);
    });

    it('takes the paths and expected statuses it is given', async () => {
      const target = new ProcessTarget({ blue: [], green: [bad] });
      const ms = await probeAnalysis({
        ...fast,
        checks: [{ path: '/health/ready', expect: [503] }, { path: '/health/live' }],
      }).run(ctx(target, 'green'));
      expect(ms.map((m) => [m.name, m.value, m.ok])).toEqual([
        ['probe /health/ready', 1, true],
        ['probe /health/live', 1, true],
      ]);
      expect(ms[0]!.detail).toBe('1/1 green instances answered 503');
    });

    it('retries an instance that is not listening yet and passes once it answers', async () => {
      const port = await freePort();
      const late: ProcessInstance = { id: 'late', url: `http://127.0.0.1:${port}` };
      const target = new ProcessTarget({ blue: [late], green: [] });
      // After the first refused connection the instance comes up: a real forwarder to a real Sift on its port.
      let up = false;
      target.afterProbe = async (record) => {
        if (record.instance !== 'late' || record.result.status !== null || up) return;
        up = true;
        const sockets = new Set<Socket>();
        const forwarder = createServer((client) => {
          const upstream = connect(healthyA!.port, '127.0.0.1');
          sockets.add(client).add(upstream);
          client.on('error', () => upstream.destroy());
          upstream.on('error', () => client.destroy());
          client.pipe(upstream).pipe(client);
        });
        await new Promise<void>((r) => forwarder.listen(port, '127.0.0.1', r));
        cleanups.push(async () => {
          for (const s of sockets) s.destroy();
          await new Promise((r) => forwarder.close(r));
        });
      };
      const ms = await probeAnalysis({ ...fast, checks: [{ path: '/health/ready' }] }).run(
        ctx(target, 'blue'),
      );
      expect(ms).toMatchObject([{ name: 'probe /health/ready', value: 1, ok: true }]);
      expect(target.probes.map((p) => p.result.status ?? p.result.error)).toEqual(['ECONNREFUSED', 200]);
    });

    it('fails every path when the colour has no instances', async () => {
      const target = new ProcessTarget({ blue: [], green: [] });
      const ms = await probeAnalysis(fast).run(ctx(target, 'blue'));
      expect(ms).toHaveLength(3);
      for (const m of ms)
        expect(m).toMatchObject({
          value: 0,
          ok: false,
          detail: 'no blue instances',
          threshold: 'at least 1 instance',
        });
    });

    it('fails every path, without throwing, when the instances cannot be listed', async () => {
      const target = new ProcessTarget({ blue: [a], green: [] });
      target.listError = new Error('the API server refused the connection');
      const ms = await probeAnalysis(fast).run(ctx(target, 'blue'));
      for (const m of ms)
        expect(m).toMatchObject({
          value: null,
          ok: false,
          detail: 'could not list blue instances: the API server refused the connection',
        });
    });

    it('stops retrying at once when aborted, and fails', { timeout: 30_000 }, async () => {
      const target = new ProcessTarget({ blue: [bad], green: [] });
      const controller = new AbortController();
      target.afterProbe = (record) => {
        if (!record.result.ok) controller.abort();
      };
      // The backoff is longer than the test's timeout: only the abort lets the check end in time.
      const ms = await probeAnalysis({
        checks: [{ path: '/health/ready' }],
        attempts: 5,
        backoffMs: 60_000,
      }).run(ctx(target, 'blue', controller.signal));
      expect(ms).toEqual([
        {
          name: 'probe /health/ready',
          value: 0,
          threshold: '1/1',
          ok: false,
          detail: `bad (${new URL(bad.url).host}): aborted after 1 try, want 200`,
        },
      ]);
      expect(target.probes).toHaveLength(1);
    });

    it('refuses bad options with DEPLOY_INVALID', () => {
      for (const options of [
        { checks: [{ path: 'health/ready' }] },
        { checks: [{ path: '/health/ready', expect: [] }] },
        { checks: [] },
        { attempts: 0 },
        { timeoutMs: -1 },
      ] as ProbeOptions[])
        expect(
          codeOf(() => probeAnalysis(options)),
          JSON.stringify(options),
        ).toBe('DEPLOY_INVALID');
    });
  });

  describe('front door', () => {
    const run = (options: FrontDoorOptions, signal?: AbortSignal) =>
      frontDoorAnalysis({ intervalMs: 0, ...options })
        .run(ctx(new ProcessTarget({ blue: [], green: [] }), 'green', signal))
        .then((ms) => {
          expect(ms).toHaveLength(1);
          return ms[0]!;
        });

    it('passes when every request through nginx succeeds', async () => {
      const m = await run({ url: nginx[0]!.url });
      expect(m).toEqual({
        name: 'front-door success',
        value: 1,
        threshold: '>= 0.95',
        ok: true,
        detail: '10/10 GET /health/live, /health/ready, /api/search?q=test answered 2xx',
      });
    });

    it('asks a real search by default: a ready front door whose searches answer 401 fails', async () => {
      // Readiness alone, the old check, passes: the instance is ready, only its searches fail.
      const readyOnly = await run({ url: nginx[3]!.url, paths: ['/health/ready'] });
      expect(readyOnly.ok).toBe(true);
      const m = await run({ url: nginx[3]!.url });
      expect(m.ok).toBe(false);
      expect(m.detail).toMatch(/^\d+\/10 GET .* answered 2xx; failed: \/api\/search\?q=test 401 x3$/);
      const given = await run({ url: nginx[3]!.url, paths: ['/api/search?q=rust'], requests: 2 });
      expect(given).toMatchObject({
        ok: false,
        value: 0,
        detail: '0/2 GET /api/search?q=rust answered 2xx; failed: /api/search?q=rust 401 x2',
      });
    });

    it('asks every path at least once, whatever the request count', async () => {
      const m = await run({ url: nginx[3]!.url, requests: 1 });
      expect(m.detail).toMatch(/^2\/3 GET .*; failed: \/api\/search\?q=test 401 x1$/);
    });

    it('counts non-2xx answers: nginx in front of an unready colour', async () => {
      const m = await run({ url: nginx[1]!.url, paths: ['/health/ready'] });
      expect(m).toMatchObject({ value: 0, ok: false });
      expect(m.detail).toBe('0/10 GET /health/ready answered 2xx; failed: /health/ready 503 x10');
    });

    it('fails a partly failing front door at the default threshold and passes it at a lower one', async () => {
      // Round robin over a healthy and an unready instance, with 503s passed through to the client.
      const strict = await run({ url: nginx[2]!.url, requests: 20, paths: ['/health/ready'] });
      expect(strict.value).toBeGreaterThan(0);
      expect(strict.value).toBeLessThan(1);
      expect(strict.ok).toBe(false);
      expect(strict.detail).toMatch(
        /^\d+\/20 GET \/health\/ready answered 2xx; failed: \/health\/ready 503 x\d+$/,
      );
      const lenient = await run({
        url: nginx[2]!.url,
        requests: 20,
        paths: ['/health/ready'],
        minSuccessRatio: 0.1,
      });
      expect(lenient).toMatchObject({ ok: true, threshold: '>= 0.1' });
    });

    it('counts transport errors: refused connections and requests that time out', async () => {
      const ready = ['/health/ready'];
      const refused = await run({ url: `http://127.0.0.1:${await freePort()}`, requests: 3, paths: ready });
      expect(refused).toMatchObject({
        value: 0,
        ok: false,
        detail: '0/3 GET /health/ready answered 2xx; failed: /health/ready ECONNREFUSED x3',
      });
      const hung = await silentServer();
      cleanups.push(() => hung.close());
      const slow = await run({ url: hung.url, requests: 2, timeoutMs: 200, paths: ready });
      expect(slow).toMatchObject({
        value: 0,
        ok: false,
        detail: '0/2 GET /health/ready answered 2xx; failed: /health/ready no answer within 200 ms x2',
      });
    });

    it('stops when aborted and never passes an interrupted check', async () => {
      const m = await run({ url: nginx[0]!.url, requests: 3, intervalMs: 120_000 }, AbortSignal.timeout(500));
      expect(m.ok).toBe(false);
      expect(m.detail).toMatch(/; aborted after [01] of 3 requests$/);
    });

    it('refuses bad options with DEPLOY_INVALID', () => {
      for (const options of [
        { url: '127.0.0.1:8080' },
        { url: 'ftp://127.0.0.1' },
        { url: 'http://127.0.0.1', minSuccessRatio: 1.5 },
        { url: 'http://127.0.0.1', requests: 0 },
        { url: 'http://127.0.0.1', paths: ['health'] },
        { url: 'http://127.0.0.1', paths: [] },
      ])
        expect(
          codeOf(() => frontDoorAnalysis(options)),
          JSON.stringify(options),
        ).toBe('DEPLOY_INVALID');
    });
  });

  it('samples probes and the front door together over time', async () => {
    const target = new ProcessTarget({ blue: [a, b], green: [] });
    const result = await runAnalyses(
      [probeAnalysis(fast), frontDoorAnalysis({ url: nginx[0]!.url, intervalMs: 0 })],
      ctx(target, 'blue'),
      {
        samples: 2,
        intervalMs: 200,
      },
    );
    expect(result).toMatchObject({ ok: true, failedSamples: 0, summary: '2/2 samples passed' });
    expect(result.measurements.map((m) => m.name)).toEqual([
      'probe /health/live',
      'probe /health/ready',
      'probe /api/search?q=test',
      'front-door success',
      'probe /health/live',
      'probe /health/ready',
      'probe /api/search?q=test',
      'front-door success',
    ]);
  });
});
