import { describe, expect, it } from 'vitest';
import { RELEASES } from '../../support/rollout-host/host-fixture.js';
import { hostUnderLoad, RELEASE_TIMEOUT, result } from '../../support/rollout-host/releases-under-load.js';

/**
 * Must show: on one host (real nginx with the shipped configuration, real Sift processes), a rolling release made
 * by `sift deploy` (a real CLI process) replaces the live colour's instances in place while at least 20,000
 * requests of steady load go through nginx with none failing. Prints its request count.
 */

describe('sift deploy on one host under load: rolling', { timeout: RELEASE_TIMEOUT }, () => {
  const host = hostUnderLoad();

  it('rolling: 0 failed requests', async () => {
    const color = await host.live();
    const { runs } = await host.underLoad('rolling', [['rolling', '--image', RELEASES.v2]]);
    // On failure, the release's own account of why it went back.
    expect(result(runs[0]!).outcome, JSON.stringify(result(runs[0]!)).slice(0, 4000)).toBe('succeeded');
    expect(await host.live()).toBe(color);
    expect((await host.fixture().target.state()).tracks[color]).toMatchObject({
      image: RELEASES.v2,
      ready: 2,
      total: 2,
    });
  });
});
