import { afterAll, beforeAll } from 'vitest';
import type { Color } from '../../../src/rollout/types.js';
import { formatLoad, startLoad, type LoadRun, type LoadSummary } from '../load.js';
import { instanceLogs, RELEASES, startServingHost, type HostFixture } from './host-fixture.js';

/**
 * What the zero-downtime files share: a host of their own (real nginx with the shipped configuration, real Sift
 * processes) with blue (1.0) and green (2.0) both ready and all traffic on blue, and a steady load through nginx's
 * front door. Each file owns its host, so the files run side by side without sharing state.
 */

// A steady rate a 2-core test machine shared with other tests sustains through nginx with room to spare (at
// 400/s it queues, and a queueing test measures the machine, not the release). 20,000 requests take 133 s.
export const RATE = 150;
export const MIN_REQUESTS = 20_000;
// Each test may first wait for a load slot while other files' loads run (../../../support/load-slots.ts).
export const ZERO_DOWNTIME_TIMEOUT = 1_800_000;

export { setTimeout as sleep } from 'node:timers/promises';

export interface ZeroDowntimeHost {
  fixture(): HostFixture;
  /** Waits until `color` is ready; throws with the instances' logs otherwise. */
  ready(color: Color): ReturnType<HostFixture['target']['waitReady']>;
  /**
   * Runs `body` under a steady load marked `marker`, then stops the load and prints the summary (with, on
   * failure, when the failures happened relative to nginx's reloads). A failure inside `body` stays the error the
   * test ends with; the load's own verdict is what this returns. `phase`, when given, is read for every request
   * and marks it after `marker` (`q=<marker><phase>n<n>`), so `answeredBy(marker + phase)` counts one phase.
   */
  underLoad(
    marker: string,
    label: () => string,
    body: (run: LoadRun) => Promise<void>,
    phase?: () => string,
  ): Promise<{ summary: LoadSummary; who: ReturnType<HostFixture['answeredBy']> }>;
}

/** Registers, in the calling describe, the hooks that start the host (both colours ready, blue live) and stop it. */
export function zeroDowntimeHost(): ZeroDowntimeHost {
  let fx: HostFixture | undefined;
  const signal = new AbortController().signal;
  const fixture = (): HostFixture => {
    if (!fx) throw new Error('the host fixture is not started');
    return fx;
  };

  const load = (marker: string, phase: () => string) => ({
    startedAt: Date.now(),
    ...startLoad({
      url: fixture().frontDoor,
      path: (n) => `/api/search?q=${marker}${phase()}n${n}`,
      rate: RATE,
      // A bound, never reached when all goes well: each test stops the load once it has enough requests.
      durationMs: 600_000,
    }),
  });

  const ready = async (color: Color) => {
    const r = await fixture().target.waitReady(color, { timeoutMs: 180_000, signal });
    if (!r.ok) throw new Error(`${color} not ready: ${r.reason}\n${instanceLogs(fixture())}`);
    return r;
  };

  beforeAll(async () => {
    fx = await startServingHost({
      instances: 2,
      replicas: 2,
      drainSeconds: 10,
      images: { blue: RELEASES.v1, green: RELEASES.v2 },
    });
  }, 400_000);

  afterAll(async () => {
    await fx?.close();
  }, 120_000);

  return {
    fixture,
    ready,

    underLoad: async (marker, label, body, phase = () => '') => {
      const fx = fixture();
      const reloads = fx.watchReloads();
      const run = load(marker, phase);
      const finish = async () => {
        const summary = await run.stop();
        const who = fx.answeredBy(`q=${marker}`);
        const at = reloads.stop();
        console.log(`${formatLoad(label(), summary)}; answered by ${JSON.stringify(who.byPort)}`);
        if (summary.failed > 0) {
          console.log(
            `reloads at ms ${JSON.stringify(at.map((t) => t - run.startedAt))}; first failures ${JSON.stringify(summary.failures)}`,
          );
        }
        return { summary, who };
      };
      try {
        await body(run);
      } catch (err) {
        await finish();
        throw err;
      }
      return finish();
    },
  };
}
