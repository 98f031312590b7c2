import { describe, expect, it } from 'vitest';
import { RELEASES } from '../../support/rollout-host/host-fixture.js';
import { hostUnderLoad, RELEASE_TIMEOUT, result } from '../../support/rollout-host/releases-under-load.js';

/**
 * Must show: on one host (real nginx with the shipped configuration, real Sift processes), a blue-green release
 * made by `sift deploy` (a real CLI process) carries at least 20,000 requests of steady load through nginx with
 * none failing, and leaves the old colour scaled down. Prints its request count.
 */

describe('sift deploy on one host under load: blue-green', { timeout: RELEASE_TIMEOUT }, () => {
  const host = hostUnderLoad();

  it('blue-green: 0 failed requests', async () => {
    const before = await host.live();
    const { runs } = await host.underLoad('blue-green', [['blue-green', '--image', RELEASES.v2]]);
    // On failure, the release's own account of why it went back.
    expect(result(runs[0]!).outcome, JSON.stringify(result(runs[0]!)).slice(0, 4000)).toBe('succeeded');
    expect(await host.live()).not.toBe(before);
    expect(await host.imageOf(await host.live())).toBe(RELEASES.v2);
    expect((await host.fixture().target.state()).tracks[before].desired).toBe(0);
  });
});
