import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect } from 'vitest';
import type { RolloutResult } from '../../../src/rollout/strategies/context.js';
import type { Color } from '../../../src/rollout/types.js';
import { withLoadSlot } from '../load-slots.js';
import { formatLoad, startLoad, type LoadSummary, type LoadWindow } from '../load.js';
import { deployCli, type DeployRun } from '../deploy-cli.js';
import { waitFor } from '../net.js';
import { instanceLogs, RELEASES, startHostFixture, type HostFixture } from './host-fixture.js';

/**
 * What every "release on one host under load" file shares: a host of its own (a real router with the shipped
 * configuration, nginx unless told HAProxy; real Sift processes, two instances) that has had its first release,
 * `sift deploy` run as a real CLI process, and a steady load through the router that must see every request
 * answered 2xx. Each file owns its host, so the files run side by side without sharing state.
 */

export const RATE = 150;
export const MIN_REQUESTS = 20_000;
/**
 * A release under load runs for MIN_REQUESTS / RATE (over two minutes) at least, CLI runs add to that, and it may
 * first wait for a load slot while other files' loads run (../../../support/load-slots.ts).
 */
export const RELEASE_TIMEOUT = 1_800_000;

export interface HostReleases {
  fixture(): HostFixture;
  deploy(args: string[]): Promise<DeployRun>;
  /**
   * Runs `releases` one after another under load, then keeps the load going until it has sent MIN_REQUESTS;
   * returns the CLI runs, the load summary and, per release, the load while its CLI ran, after checking that every request was answered 2xx and that every
   * CLI run ended as a release or a rollback (exit 0 or 3). Prints the request count, and per release its
   * duration and the requests sent while it ran (failed ones, strict-client failures, p99). `after` runs once
   * each release has ended, before the next starts (to read the host's state in between). Waits for a load slot
   * first.
   */
  underLoad(
    label: string,
    releases: string[][],
    after?: (run: DeployRun, index: number) => Promise<void>,
  ): Promise<ReleasesRun>;
  /** The colour the router sends all traffic to. */
  live(): Promise<Color>;
  imageOf(color: Color): Promise<string | null | undefined>;
}

export interface ReleasesRun {
  readonly runs: DeployRun[];
  readonly s: LoadSummary;
  /** Per release, the requests sent while its CLI ran (failed ones, strict-client failures, p99). */
  readonly windows: LoadWindow[];
}

export const result = (r: DeployRun) => r.json<RolloutResult>();

/**
 * `rolling succeeded in 41.2 s (exit 0): 6180 requests meanwhile, 0 failed, strict-client failures 0, p99 12 ms`,
 * from the release record the CLI printed (its start and last update) and the load while the CLI ran.
 */
function releaseLine(r: DeployRun, w: LoadWindow): string {
  const meanwhile =
    `${w.requests} requests meanwhile, ${w.failed} failed, strict-client failures ${w.strictFailed}, ` +
    `p99 ${w.p99Ms} ms`;
  try {
    const { strategy, outcome, record } = result(r);
    const seconds = record ? (Date.parse(record.updatedAt) - Date.parse(record.startedAt)) / 1000 : NaN;
    return `${strategy} ${outcome} in ${seconds.toFixed(1)} s (exit ${r.code}): ${meanwhile}`;
  } catch {
    return `exit ${r.code}: ${r.stderr.slice(-300)}; ${meanwhile}`;
  }
}

/**
 * Waits until the colour with the traffic has every instance it asks for ready, for a release to start from. A
 * file can wait minutes for its load slot while others load the machine; an instance that stalled meanwhile
 * gets a minute to answer again. One that stays unready fails the test here, naming it, with the logs.
 */
async function wholeLiveColor(host: HostFixture): Promise<void> {
  const live: Color = (await host.router.current()).blue === 100 ? 'blue' : 'green';
  let last = '';
  try {
    await waitFor(async () => {
      const t = (await host.target.state()).tracks[live];
      last = `${t.ready} of ${t.desired} ready${t.unready ? ` (${t.unready.join('; ')})` : ''}`;
      return t.ready === t.desired;
    }, 60_000);
  } catch {
    throw new Error(`${live} is not whole before the releases: ${last}\n${instanceLogs(host)}`);
  }
}

/**
 * Registers, in the calling describe, the hooks that start a fresh host and make its first release (blue-green of
 * RELEASES.v1 with two replicas: blue is live with 1.0 when the tests start) and tear it down afterwards.
 */
export function hostUnderLoad(router: 'nginx' | 'haproxy' = 'nginx'): HostReleases {
  let fx: HostFixture | undefined;
  const fixture = (): HostFixture => {
    if (!fx) throw new Error('the host fixture is not started');
    return fx;
  };

  const deploy = (args: string[]): Promise<DeployRun> =>
    deployCli([...args, '--host-config', fixture().configPath, '--json', '--scale-down-delay', '2s'], {
      timeoutMs: 400_000,
    });

  beforeAll(async () => {
    fx = await startHostFixture({ router, instances: 2, drainSeconds: 5 });
    // The first release on a fresh host: nothing runs yet, the router names blue with no server.
    const first = await deploy(['blue-green', '--image', RELEASES.v1, '--replicas', '2']);
    if (first.code !== 0) throw new Error(`first release failed: ${first.stdout}\n${first.stderr}`);
  }, 400_000);

  afterAll(async () => {
    await fx?.close();
  }, 120_000);

  const underLoad = (
    label: string,
    releases: string[][],
    after?: (run: DeployRun, index: number) => Promise<void>,
  ) => withLoadSlot(() => underLoadNow(label, releases, after));

  async function underLoadNow(
    label: string,
    releases: string[][],
    after?: (run: DeployRun, index: number) => Promise<void>,
  ): Promise<ReleasesRun> {
    const host = fixture();
    await wholeLiveColor(host);
    const marker = `${label.replace(/\W/g, '')}${process.pid}`;
    const load = startLoad({
      url: host.frontDoor,
      path: (n) => `/api/search?q=${marker}n${n}`,
      rate: RATE,
      durationMs: 600_000,
    });
    const runs: DeployRun[] = [];
    const spans: [number, number][] = [];
    let s: LoadSummary;
    try {
      await sleep(2_000);
      for (const args of releases) {
        const from = performance.now();
        const run = await deploy(args);
        spans.push([from, performance.now()]);
        runs.push(run);
        await after?.(run, runs.length - 1);
      }
      while (load.sent() < MIN_REQUESTS) await sleep(500);
    } finally {
      s = await load.stop();
      const who = host.answeredBy(`q=${marker}n`);
      console.log(
        `${formatLoad(`host (${router}) ${label}`, s)}; answered by ${JSON.stringify(who.byColor)}`,
      );
      runs.forEach((r, i) => console.log(`  ${router}: ${releaseLine(r, load.between(...spans[i]!))}`));
      if (s.failed > 0) console.log(`first failures ${JSON.stringify(s.failures)}\n${instanceLogs(host)}`);
      else if (runs.some((r) => r.code !== 0 && r.code !== 3)) console.log(instanceLogs(host));
    }
    for (const r of runs) expect([0, 3], `exit ${r.code}: ${r.stderr}`).toContain(r.code);
    expect(s.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(s.non2xx).toEqual({});
    expect(s.errors).toEqual({});
    expect(s.ok).toBe(s.requests);
    return { runs, s, windows: spans.map((w) => load.between(...w)) };
  }

  return {
    fixture,
    deploy,
    underLoad,
    live: async () => ((await fixture().router.current()).blue === 100 ? 'blue' : 'green'),
    imageOf: async (color) => (await fixture().target.state()).tracks[color].image,
  };
}
