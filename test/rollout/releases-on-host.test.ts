import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutResult } from '../../src/rollout/strategies/context.js';
import { formatLoad, startLoad, type LoadSummary } from '../support/load.js';
import { instanceLogs, RELEASES, startHostFixture, type HostFixture } from './host/support/host-fixture.js';
import { deployCli, type DeployRun } from './support/deploy-cli.js';

/**
 * Must show: on one host (real nginx with the shipped configuration, real Sift processes), every kind of release
 * made by `sift deploy` (a real CLI process) carries at least 20,000 requests of steady load through nginx with
 * none failing; failed releases roll back by themselves with traffic on the old version and none failing either.
 * Each test prints its request count.
 */

const RATE = 150;
const MIN_REQUESTS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sift deploy on one host under load', { timeout: 900_000 }, () => {
  let fx: HostFixture;

  const deploy = (args: string[]): Promise<DeployRun> =>
    deployCli([...args, '--host-config', fx.configPath, '--json', '--scale-down-delay', '2s'], {
      timeoutMs: 400_000,
    });

  /**
   * Runs `releases` one after another under load, then keeps the load going until it has sent MIN_REQUESTS;
   * returns the CLI runs and the load summary after checking that every request was answered 2xx.
   */
  async function underLoad(
    label: string,
    releases: string[][],
  ): Promise<{ runs: DeployRun[]; s: LoadSummary }> {
    const marker = `${label.replace(/\W/g, '')}${process.pid}`;
    const load = startLoad({
      url: fx.frontDoor,
      path: (n) => `/api/search?q=${marker}n${n}`,
      rate: RATE,
      durationMs: 600_000,
    });
    const runs: DeployRun[] = [];
    let s: LoadSummary;
    try {
      await sleep(2_000);
      for (const args of releases) runs.push(await deploy(args));
      while (load.sent() < MIN_REQUESTS) await sleep(500);
    } finally {
      s = await load.stop();
      const who = fx.answeredBy(`q=${marker}n`);
      console.log(`${formatLoad(`host ${label}`, s)}; answered by ${JSON.stringify(who.byColor)}`);
      if (s.failed > 0) console.log(`first failures ${JSON.stringify(s.failures)}\n${instanceLogs(fx)}`);
    }
    for (const r of runs) expect([0, 3], `exit ${r.code}: ${r.stderr}`).toContain(r.code);
    expect(s.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(s.non2xx).toEqual({});
    expect(s.errors).toEqual({});
    expect(s.ok).toBe(s.requests);
    return { runs, s };
  }

  const result = (r: DeployRun) => r.json<RolloutResult>();
  const live = async () => ((await fx.router.current()).blue === 100 ? 'blue' : 'green');
  const imageOf = async (color: 'blue' | 'green') => (await fx.target.state()).tracks[color].image;

  beforeAll(async () => {
    fx = await startHostFixture({ instances: 2, drainSeconds: 5 });
    // The first release on a fresh host: nothing runs yet, nginx names blue with no server.
    const first = await deploy(['blue-green', '--image', RELEASES.v1, '--replicas', '2']);
    if (first.code !== 0) throw new Error(`first release failed: ${first.stdout}\n${first.stderr}`);
  }, 400_000);

  afterAll(async () => {
    await fx?.close();
  }, 120_000);

  it('blue-green: 0 failed requests', async () => {
    const before = await live();
    const { runs } = await underLoad('blue-green', [['blue-green', '--image', RELEASES.v2]]);
    expect(result(runs[0]!).outcome).toBe('succeeded');
    expect(await live()).not.toBe(before);
    expect(await imageOf(await live())).toBe(RELEASES.v2);
    expect((await fx.target.state()).tracks[before].desired).toBe(0);
  });

  it('rolling: 0 failed requests', async () => {
    const color = await live();
    const { runs } = await underLoad('rolling', [['rolling', '--image', RELEASES.v1]]);
    expect(result(runs[0]!).outcome).toBe('succeeded');
    expect(await live()).toBe(color);
    expect((await fx.target.state()).tracks[color]).toMatchObject({ image: RELEASES.v1, ready: 2, total: 2 });
  });

  it('canary: 0 failed requests through 20% and 50% to promotion', async () => {
    const before = await live();
    const { runs } = await underLoad('canary', [
      ['canary', '--image', RELEASES.v2, '--steps', '20,50', '--step-pause', '5s'],
    ]);
    expect(result(runs[0]!).outcome).toBe('succeeded');
    const weights = result(runs[0]!).actions.filter((a) => a.startsWith('sent '));
    expect(weights).toEqual([
      `sent 20% of traffic to ${before === 'blue' ? 'green' : 'blue'}`,
      `sent 50% of traffic to ${before === 'blue' ? 'green' : 'blue'}`,
    ]);
    expect(await live()).not.toBe(before);
  });

  it('failed releases roll back by themselves: traffic stays on the old version, 0 failed requests', async () => {
    const color = await live();
    const image = await imageOf(color);
    const { runs } = await underLoad('failed releases', [
      ['blue-green', '--image', RELEASES.notReady, '--ready-timeout', '15s'],
      ['blue-green', '--image', RELEASES.searchFails],
      ['rolling', '--image', RELEASES.notReady, '--ready-timeout', '15s'],
      ['canary', '--image', RELEASES.searchFails, '--steps', '20'],
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(3);
      expect(result(r).outcome).toBe('rolled-back');
    }
    expect(result(runs[1]!).measurements.some((m) => !m.ok && m.name.includes('/api/search'))).toBe(true);
    expect(await live()).toBe(color);
    expect((await fx.target.state()).tracks[color]).toMatchObject({ image, ready: 2, total: 2 });
  });
});
