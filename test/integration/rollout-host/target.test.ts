import { describeTargetConformance } from '../../../src/rollout/target.conformance.js';
import { RELEASES, startHostFixture } from '../../support/rollout-host/host-fixture.js';

// The Target suite against real Sift processes behind each router of the host target: a real nginx (instances in
// and out by reloads) and a real HAProxy (by runtime commands on fixed server slots).
for (const router of ['nginx', 'haproxy'] as const) {
  describeTargetConformance({
    name: `host (Sift processes behind ${router})`,
    readyTimeoutMs: 90_000,
    async create() {
      const fx = await startHostFixture({ drainSeconds: 5, router });
      return {
        target: fx.target,
        other: fx.other,
        images: { v1: RELEASES.v1, v2: RELEASES.v2, notReady: RELEASES.notReady },
        close: () => fx.close(),
      };
    },
  });
}
