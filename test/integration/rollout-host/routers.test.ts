import { describeRouterConformance } from '../../../src/rollout/router.conformance.js';
import { startServingHost } from '../../support/rollout-host/host-fixture.js';

// The TrafficRouter suite against each router of the host target, with one real Sift instance per colour behind
// it: nginx's upstream include (reloaded per change) and HAProxy's backend (changed through its runtime API).
for (const router of ['nginx', 'haproxy'] as const) {
  describeRouterConformance({
    name: router === 'nginx' ? 'nginx upstream include' : 'HAProxy runtime API',
    timeoutMs: 300_000,
    async create() {
      const fx = await startServingHost({ drainSeconds: 2, router });
      return { router: fx.router, observe: (n) => fx.observe(n), close: () => fx.close() };
    },
  });
}
