import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorRatioCheck,
  latencyCheck,
  metricCheck,
  NO_DATA,
  runAnalyses,
  type PrometheusSource,
} from '../../../src/rollout/analysis/index.js';
import { errorRatioTemplate, latencyTemplate } from '../../../src/rollout/analysis/promql.js';
import type { AnalysisContext, Color, Measurement } from '../../../src/rollout/types.js';
import { tempDir } from '../../support/temp-dir.js';
import { freePort, waitFor } from '../../support/net.js';
import { family, metricNames } from '../deploy/support/promql.js';
import { siftMetricFamilies } from '../deploy/support/sift-metrics.js';
import { startSift, type SiftProcess } from '../../support/sift-process.js';
import { ProcessTarget } from './support/process-target.js';
import { startPrometheus, type PrometheusServer } from '../../support/prometheus.js';

// Prometheus's basic auth stores bcrypt hashes; this one is of PASSWORD (cost 4, the minimum: a test secret).
const USER = 'analysis';
const PASSWORD = 'analysis-test-password';
const BCRYPT = '$2b$04$nxEKHS/eHzJqTAU871m2TewReG6VR2jkBI8NNG5cwjBm.ueDctUkO';

describe(
  'Prometheus analysis against a real Prometheus scraping real Sift processes',
  { timeout: 120_000 },
  () => {
    const dirs = {
      blue: tempDir('sift-analysis-blue-'),
      green: tempDir('sift-analysis-green-'),
      prom: tempDir('sift-analysis-prom-'),
    };
    const sift: Partial<Record<Color, SiftProcess>> = {};
    let prometheus: PrometheusServer | undefined;
    let source: PrometheusSource;
    let target: ProcessTarget;
    const ctx = (color: Color): AnalysisContext => ({ color, target, signal: AbortSignal.timeout(60_000) });
    const one = async (ms: Promise<Measurement[]>) => {
      const all = await ms;
      expect(all).toHaveLength(1);
      return all[0]!;
    };

    beforeAll(async () => {
      // Green's engine is a cluster at a port nothing listens on: it starts, but every search answers
      // 503 ENGINE_UNAVAILABLE, a real 5xx as a broken release would give.
      const closedPort = await freePort();
      const common = { LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false' };
      [sift.blue, sift.green] = await Promise.all([
        startSift({ dataDir: dirs.blue.path, env: { ...common, LOAD_SAMPLE_DATA: 'true' } }),
        startSift({
          dataDir: dirs.green.path,
          env: {
            ...common,
            SEARCH_ENGINE: 'opensearch',
            ELASTICSEARCH_URL: `http://127.0.0.1:${closedPort}`,
            ELASTICSEARCH_RETRIES: '0',
          },
        }),
      ]);
      target = new ProcessTarget({
        blue: [{ id: 'blue-1', url: sift.blue.url }],
        green: [{ id: 'green-1', url: sift.green.url }],
      });
      prometheus = await startPrometheus({
        dir: dirs.prom.path,
        targets: [
          { address: `127.0.0.1:${sift.blue.port}`, labels: { color: 'blue' } },
          { address: `127.0.0.1:${sift.green.port}`, labels: { color: 'green' } },
        ],
        basicAuth: { username: USER, password: PASSWORD, bcryptHash: BCRYPT },
      });
      source = { url: prometheus.url, auth: { username: USER, password: PASSWORD }, timeoutMs: 5_000 };
      // Both colours scraped before any check runs.
      const up = metricCheck(source, {
        name: 'up',
        query: 'sum(up{color="{color}"})',
        comparator: '==',
        threshold: 1,
      });
      await waitFor(
        async () => (await one(up.run(ctx('blue')))).ok && (await one(up.run(ctx('green')))).ok,
        60_000,
      );
    }, 300_000);

    afterAll(async () => {
      await prometheus?.stop();
      await Promise.all([sift.blue?.stop(), sift.green?.stop()]);
      for (const d of Object.values(dirs)) d.remove();
    });

    it('reads only metrics Sift registers, with the labels it uses', async () => {
      const families = await siftMetricFamilies();
      for (const q of [errorRatioTemplate('color'), latencyTemplate('color', 0.99)])
        for (const name of metricNames(q)) expect(families, name).toContain(family(name));
    });

    it('finds no data for a colour without traffic: inconclusive, not healthy, unless allowNoData', async () => {
      // Green was scraped (and probed by nothing): it has no user traffic yet.
      for (const check of [errorRatioCheck(source), latencyCheck(source)]) {
        const m = await one(check.run(ctx('green')));
        expect(m, check.name).toMatchObject({ ok: false, value: null, detail: NO_DATA });
      }
      const allowed = await one(errorRatioCheck(source, { allowNoData: true }).run(ctx('green')));
      expect(allowed).toMatchObject({ ok: true, value: null, detail: `${NO_DATA} (allowed)` });
    });

    it('passes blue and fails green on the error ratio once both serve traffic', async () => {
      const searches = (s: SiftProcess) =>
        Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            fetch(`${s.url}/api/search?q=react${i}`).then((r) => r.status),
          ),
        );
      // Real answers first: blue finds things, green cannot reach its engine.
      expect(new Set(await searches(sift.blue!))).toEqual(new Set([200]));
      expect(new Set(await searches(sift.green!))).toEqual(new Set([503]));

      const ratio = errorRatioCheck(source);
      let blue: Measurement | undefined;
      let green: Measurement | undefined;
      await waitFor(async () => {
        await Promise.all([searches(sift.blue!), searches(sift.green!)]);
        blue = await one(ratio.run(ctx('blue')));
        green = await one(ratio.run(ctx('green')));
        return blue.value !== null && green.value !== null;
      }, 60_000);
      expect(blue).toMatchObject({ name: 'error ratio', ok: true, value: 0, threshold: '<= 0.01' });
      expect(green).toMatchObject({ name: 'error ratio', ok: false, value: 1, threshold: '<= 0.01' });
      expect(green!.detail).toBe('green over 1m: 1');
      // The threshold is the user's: a (silly) limit of 100% lets green through.
      expect((await one(errorRatioCheck(source, { maxRatio: 1 }).run(ctx('green')))).ok).toBe(true);
    });

    it("measures the p99 latency from Sift's histogram and holds it against the threshold", async () => {
      const p99 = await one(latencyCheck(source, { maxSeconds: 3600 }).run(ctx('blue')));
      expect(p99).toMatchObject({ name: 'p99 latency', ok: true, threshold: '<= 3600 s' });
      expect(p99.value).toBeGreaterThan(0);
      // A quantile interpolated inside a bucket is above 0, so a limit of 0 must fail.
      const strict = await one(latencyCheck(source, { maxSeconds: 0 }).run(ctx('blue')));
      expect(strict).toMatchObject({ ok: false, threshold: '<= 0 s' });
      expect(strict.value).toBeGreaterThan(0);
    });

    it('runs a user check with its own vars and comparator', async () => {
      const served503 = metricCheck(source, {
        name: 'search 503s',
        query:
          'sum(increase(http_requests_total{color="{color}",route="/api/search",status="{status}"}[{window}]))',
        comparator: '>',
        threshold: 0,
        vars: { status: '503' },
        window: '5m',
      });
      expect(await one(served503.run(ctx('green')))).toMatchObject({ ok: true });
      expect(await one(served503.run(ctx('blue')))).toMatchObject({ ok: false, detail: NO_DATA });
    });

    it('turns a query Prometheus refuses, or one with several series, into a failed measurement', async () => {
      const broken = await one(
        metricCheck(source, {
          name: 'broken',
          query: 'sum(rate(http_requests_total{color="{color}"}[{window}])',
          comparator: '<',
          threshold: 1,
        }).run(ctx('blue')),
      );
      expect(broken).toMatchObject({ ok: false, value: null });
      expect(broken.detail).toMatch(/Prometheus refused the query \(bad_data\): .*parse error/);
      const many = await one(
        metricCheck(source, {
          name: 'by status',
          query: 'sum by (route) (http_requests_total{color="{color}"})',
          comparator: '>',
          threshold: 0,
        }).run(ctx('blue')),
      );
      expect(many).toMatchObject({ ok: false, value: null });
      expect(many.detail).toContain('aggregate it to one');
    });

    it('samples over time: blue passes every sample, green fails and stops at the first', async () => {
      const checks = [errorRatioCheck(source), latencyCheck(source, { maxSeconds: 3600 })];
      const blue = await runAnalyses(checks, ctx('blue'), { samples: 3, intervalMs: 1000 });
      expect(blue).toMatchObject({ ok: true, failedSamples: 0, summary: '3/3 samples passed' });
      expect(blue.measurements).toHaveLength(6);
      const green = await runAnalyses(checks, ctx('green'), { samples: 3, intervalMs: 1000 });
      expect(green).toMatchObject({ ok: false, inconclusive: false, failedSamples: 1 });
      expect(green.samples).toHaveLength(1);
      expect(green.summary).toContain('error ratio 1 (want <= 0.01)');
    });

    it('fails with the reason when Prometheus refuses the credentials', async () => {
      const m = await one(
        errorRatioCheck({ ...source, auth: { username: USER, password: 'wrong' } }).run(ctx('blue')),
      );
      expect(m).toMatchObject({ ok: false, value: null });
      expect(m.detail).toContain('answered 401 Unauthorized');
      expect(m.detail).not.toContain('wrong');
    });

    it('fails with the reason when Prometheus does not answer in time', { timeout: 30_000 }, async () => {
      // A real listener that accepts connections and never answers, as a hung Prometheus would.
      const sockets = new Set<Socket>();
      const silent: Server = createServer((socket) => void sockets.add(socket));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
        const m = await one(errorRatioCheck({ url, timeoutMs: 300 }).run(ctx('blue')));
        expect(m).toMatchObject({ ok: false, value: null });
        expect(m.detail).toContain('could not be queried: no answer within 300 ms');
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((r) => silent.close(r));
      }
    });

    it('fails (never throws) when Prometheus is down', async () => {
      await prometheus!.stop();
      for (const check of [errorRatioCheck(source), latencyCheck(source)]) {
        const m = await one(check.run(ctx('blue')));
        expect(m, check.name).toMatchObject({ ok: false, value: null });
        expect(m.detail).toContain(`Prometheus at ${prometheus!.url}/ could not be queried: ECONNREFUSED`);
      }
    });
  },
);
