import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutResult } from '../../../src/rollout/strategies/context.js';
import { deployCli, type DeployRun } from '../../support/deploy-cli.js';
import { waitFor } from '../../support/net.js';
import {
  instanceLogs,
  RELEASES,
  startHostFixture,
  type HostFixture,
} from '../../support/rollout-host/host-fixture.js';

/**
 * `sift deploy abort` and `promote` from a second process while a canary runs in a first one (which holds the
 * lock): the request goes into the release record, and the running release acts on it at its current wait (here a
 * ten-minute hold), not after it. One instance per colour keeps the file light.
 */
describe('abort and promote of a running release on a host', { timeout: 600_000 }, () => {
  let fx: HostFixture;
  const cli = (args: string[]) =>
    deployCli([...args, '--host-config', fx.configPath, '--json', '--scale-down-delay', '1s'], {
      timeoutMs: 200_000,
    });
  const result = (r: DeployRun) => r.json<RolloutResult>();

  /** Starts a canary that holds 20 % for ten minutes, and waits until it holds. */
  async function runningCanary(image: string): Promise<{ running: Promise<DeployRun> }> {
    const before = (await fx.target.store.read())?.id;
    const running = cli(['canary', '--image', image, '--steps', '20', '--step-pause', '10m', '--manual']);
    await waitFor(async () => {
      const r = await fx.target.store.read();
      return r !== null && r.id !== before && r.phase === 'progressing' && r.weight === 20;
    }, 240_000);
    // Wrapped: an async function returning the promise itself would wait for the canary to end.
    return { running };
  }

  beforeAll(async () => {
    fx = await startHostFixture({ instances: 1, drainSeconds: 1 });
    const first = await cli(['blue-green', '--image', RELEASES.v1, '--replicas', '1']);
    if (first.code !== 0) throw new Error(`first release failed: ${first.stdout}\n${first.stderr}`);
  }, 400_000);

  afterAll(async () => {
    await fx?.close();
  }, 120_000);

  it('abort from another process rolls a running canary back within seconds', async () => {
    const live = (await fx.router.current()).blue === 100 ? 'blue' : 'green';
    const { running } = await runningCanary(RELEASES.v2);
    const abort = await cli(['abort']);
    expect(abort.code, abort.stderr).toBe(0);
    expect(result(abort)).toMatchObject({ strategy: 'abort', outcome: 'aborted' });
    // It ends inside its ten-minute hold (the CLI helper gives it five minutes): the request was taken at the wait.
    const canary = await running;
    expect(canary.code, `${canary.stderr}\n${instanceLogs(fx)}`).toBe(3);
    expect(result(canary)).toMatchObject({ outcome: 'rolled-back' });
    expect(result(canary).reason).toMatch(/aborted by .* \(sift deploy abort\)/);
    expect((await fx.router.current())[live]).toBe(100);
    expect((await fx.target.store.read())?.request).toMatchObject({ action: 'abort' });
  });

  it('promote from another process ends the hold and goes on past the manual pause to 100 %', async () => {
    const live = (await fx.router.current()).blue === 100 ? 'blue' : 'green';
    const { running } = await runningCanary(RELEASES.v2);
    const promote = await cli(['promote']);
    expect(promote.code, promote.stderr).toBe(0);
    expect(result(promote)).toMatchObject({ strategy: 'promote', outcome: 'succeeded' });
    const canary = await running;
    expect(canary.code, canary.stderr).toBe(0);
    expect(result(canary)).toMatchObject({ outcome: 'succeeded' });
    expect((await fx.router.current())[live]).toBe(0);
  });
});
