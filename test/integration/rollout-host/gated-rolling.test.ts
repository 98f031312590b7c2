import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontDoorAnalysis, probeAnalysis } from '../../../src/rollout/analysis/index.js';
import { parseState } from '../../../src/rollout/platform/host/host-state.js';
import type { RolloutResult } from '../../../src/rollout/strategies/context.js';
import { rolling } from '../../../src/rollout/strategies/rolling.js';
import { deployCli } from '../../support/deploy-cli.js';
import { formatLoad, startLoad, type LoadSummary } from '../../support/load.js';
import {
  instanceLogs,
  RELEASES,
  startHostFixture,
  type HostFixture,
} from '../../support/rollout-host/host-fixture.js';

/**
 * A rolling release of a ready-but-broken version (every search answers 401) on a real host under load: the
 * release's probes gate each new instance before it joins nginx, so with the default probes (a real search among
 * them) the broken version serves nobody; with probes too weak to see it, the analysis between batches stops the
 * update after the first batch, so it serves one batch's share for one analysis. Prints the exposure (requests the
 * broken version answered).
 */
describe('rolling releases gated by the release probes on a host', { timeout: 600_000 }, () => {
  let fx: HostFixture;
  const RATE = 40;

  beforeAll(async () => {
    // The fixture's default drain bound: a drain cut short under a saturated machine stops an instance that
    // nginx's replaced workers still send requests to, and the load sees 502s that are the bound's, not the gate's.
    fx = await startHostFixture({ instances: 2 });
    const first = await deployCli(
      [
        'blue-green',
        '--image',
        RELEASES.v1,
        '--host-config',
        fx.configPath,
        '--json',
        '--scale-down-delay',
        '1s',
      ],
      { timeoutMs: 300_000 },
    );
    if (first.code !== 0) throw new Error(`first release failed: ${first.stdout}\n${first.stderr}`);
  }, 400_000);

  const live = async () => ((await fx.router.current()).blue === 100 ? 'blue' : 'green');

  afterAll(async () => {
    await fx?.close();
  }, 120_000);

  /** Runs `during` under a steady search load through nginx; returns the load's summary and its result. */
  async function underLoad<T>(
    label: string,
    during: () => Promise<T>,
  ): Promise<{ s: LoadSummary; value: T }> {
    const marker = `${label}${process.pid}`;
    const load = startLoad({
      url: fx.frontDoor,
      path: (n) => `/api/search?q=${marker}n${n}`,
      rate: RATE,
      durationMs: 400_000,
    });
    let s: LoadSummary | undefined;
    try {
      const value = await during();
      s = await load.stop();
      return { s, value };
    } finally {
      s ??= await load.stop();
      console.log(formatLoad(`host rolling ${label}`, s));
    }
  }

  /** Ids of every instance of `image` the host state listed while `during` ran (polled every 50 ms). */
  async function instancesOf<T>(
    image: string,
    during: () => Promise<T>,
  ): Promise<{ ids: Set<string>; value: T }> {
    const ids = new Set<string>();
    const path = join(fx.config.stateDir, 'state.json');
    const timer = setInterval(() => {
      try {
        const state = parseState(JSON.parse(readFileSync(path, 'utf8')), path);
        for (const i of state.instances) if (i.image === image) ids.add(i.id);
      } catch {
        // Read while being replaced: the next poll sees it.
      }
    }, 50);
    try {
      return { ids, value: await during() };
    } finally {
      clearInterval(timer);
    }
  }

  it('the default probes keep a version whose searches answer 401 out of nginx: it serves nobody', async () => {
    const { s, value: run } = await underLoad('probes', () =>
      deployCli(['rolling', '--image', RELEASES.searchFails, '--host-config', fx.configPath, '--json'], {
        timeoutMs: 300_000,
      }),
    );
    const result = run.json<RolloutResult>();
    expect(run.code, `${run.stderr}\n${instanceLogs(fx)}`).toBe(3);
    expect(result.reason).toContain("failed the release's probe /api/search?q=test");
    expect(s.non2xx).toEqual({});
    expect(s.errors).toEqual({});
    expect((await fx.target.state()).tracks[await live()]).toMatchObject({
      image: RELEASES.v1,
      ready: 2,
      total: 2,
    });
  });

  it('with probes that cannot see it, the analysis between batches stops the update after one batch', async () => {
    const searches = '/api/indexes';
    const { s, value } = await underLoad('batches', () =>
      instancesOf(RELEASES.searchFails, () =>
        rolling({
          target: fx.target,
          router: fx.router,
          // Readiness alone: the broken version passes, as it would with --probe-path /health/ready.
          analyses: [probeAnalysis({ checks: [{ path: '/health/ready' }] })],
          // Through nginx, what users ask (the index list is never cached, so every request reaches an instance).
          afterSwitch: [frontDoorAnalysis({ url: fx.frontDoor, paths: [searches], requests: 20 })],
          signal: AbortSignal.timeout(300_000),
          report: () => undefined,
          owner: 'gated-rolling test',
          options: {
            image: RELEASES.searchFails,
            readyTimeoutMs: 120_000,
            scaleDownDelayMs: 0,
            rollbackTimeoutMs: 120_000,
            dryRun: false,
            admission: ['/health/ready'],
          },
        }),
      ),
    );
    const result = value.value;
    expect(result.outcome, JSON.stringify(result).slice(0, 3000)).toBe('rolled-back');
    expect(result.reason).toContain('between batches');
    // One batch: a single instance of the broken version ever existed, the other old one was never replaced.
    expect([...value.ids]).toHaveLength(1);
    const exposure = s.non2xx['401'] ?? 0;
    console.log(
      `broken version's exposure: ${exposure} of ${s.requests} requests (one batch of two instances, drain 2 s + one analysis)`,
    );
    expect(exposure).toBeGreaterThan(0);
    expect((await fx.target.state()).tracks[await live()]).toMatchObject({
      image: RELEASES.v1,
      ready: 2,
      total: 2,
    });
  });
});
