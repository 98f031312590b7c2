import { describe, expect, it } from 'vitest';
import { RELEASES } from '../../support/rollout-host/host-fixture.js';
import { hostUnderLoad, RELEASE_TIMEOUT, result } from '../../support/rollout-host/releases-under-load.js';

/**
 * Must show: on one host (real nginx with the shipped configuration, real Sift processes), failed releases made by
 * `sift deploy` (a real CLI process) of every kind roll back by themselves, with traffic left on the old version
 * and none of at least 20,000 requests of steady load through nginx failing. Prints its request count.
 */

describe('sift deploy on one host under load: failed releases', { timeout: RELEASE_TIMEOUT }, () => {
  const host = hostUnderLoad();

  it('failed releases roll back by themselves: traffic stays on the old version, 0 failed requests', async () => {
    const color = await host.live();
    const image = await host.imageOf(color);
    const { runs } = await host.underLoad('failed releases', [
      ['blue-green', '--image', RELEASES.notReady, '--ready-timeout', '15s'],
      ['blue-green', '--image', RELEASES.searchFails],
      ['rolling', '--image', RELEASES.notReady, '--ready-timeout', '15s'],
      // Ready, but every search answers 401: the release's probes keep each new instance out of nginx.
      ['rolling', '--image', RELEASES.searchFails],
      ['canary', '--image', RELEASES.searchFails, '--steps', '20'],
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(3);
      expect(result(r).outcome).toBe('rolled-back');
    }
    // The release's probes keep every instance of a version whose searches answer 401 out of nginx, whatever the
    // kind of release: it fails while its instances come up, before any check of the colour.
    for (const r of [runs[1]!, runs[3]!, runs[4]!]) {
      expect(result(r).reason).toContain("failed the release's probe /api/search?q=test");
    }
    expect(await host.live()).toBe(color);
    expect((await host.fixture().target.state()).tracks[color]).toMatchObject({ image, ready: 2, total: 2 });
  });
});
