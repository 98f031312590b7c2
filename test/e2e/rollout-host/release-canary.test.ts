import { describe, expect, it } from 'vitest';
import { RELEASES } from '../../support/rollout-host/host-fixture.js';
import { hostUnderLoad, RELEASE_TIMEOUT, result } from '../../support/rollout-host/releases-under-load.js';

/**
 * Must show: on one host (real nginx with the shipped configuration, real Sift processes), a canary release made
 * by `sift deploy` (a real CLI process) steps its weight through 20% and 50% to promotion while at least 20,000
 * requests of steady load go through nginx with none failing. Prints its request count.
 */

describe('sift deploy on one host under load: canary', { timeout: RELEASE_TIMEOUT }, () => {
  const host = hostUnderLoad();

  it('canary: 0 failed requests through 20% and 50% to promotion', async () => {
    const before = await host.live();
    const candidate = before === 'blue' ? 'green' : 'blue';
    const { runs } = await host.underLoad('canary', [
      ['canary', '--image', RELEASES.v2, '--steps', '20,50', '--step-pause', '5s'],
    ]);
    // On failure, the release's own account of why it went back.
    expect(result(runs[0]!).outcome, JSON.stringify(result(runs[0]!)).slice(0, 4000)).toBe('succeeded');
    const weights = result(runs[0]!).actions.filter((a) => a.startsWith('sent '));
    expect(weights).toEqual([`sent 20% of traffic to ${candidate}`, `sent 50% of traffic to ${candidate}`]);
    expect(await host.live()).toBe(candidate);
  });
});
