import { describeTargetConformance } from '../../../src/rollout/target.conformance.js';
import { RELEASES, startHostFixture } from '../../support/rollout-host/host-fixture.js';

// The Target suite against real Sift processes behind a real nginx.
describeTargetConformance({
  name: 'host (Sift processes behind nginx)',
  readyTimeoutMs: 90_000,
  async create() {
    const fx = await startHostFixture({ drainSeconds: 5 });
    return {
      target: fx.target,
      other: fx.other,
      images: { v1: RELEASES.v1, v2: RELEASES.v2, notReady: RELEASES.notReady },
      close: () => fx.close(),
    };
  },
});
