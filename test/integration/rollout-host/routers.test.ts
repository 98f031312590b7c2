import { describeRouterConformance } from '../../../src/rollout/router.conformance.js';
import type { Color } from '../../../src/rollout/types.js';
import { instanceLogs, RELEASES, startHostFixture } from '../../support/rollout-host/host-fixture.js';

// The TrafficRouter suite against each router of the host target, with one real Sift instance per colour behind
// it: nginx's upstream include (reloaded per change) and HAProxy's backend (changed through its runtime API).
for (const router of ['nginx', 'haproxy'] as const) {
  describeRouterConformance({
    name: router === 'nginx' ? 'nginx upstream include' : 'HAProxy runtime API',
    timeoutMs: 300_000,
    async create() {
      const fx = await startHostFixture({ drainSeconds: 2, router });
      try {
        const signal = new AbortController().signal;
        for (const color of ['blue', 'green'] as Color[]) {
          await fx.target.setImage(color, RELEASES.v1);
          await fx.target.scale(color, 1);
        }
        for (const color of ['blue', 'green'] as Color[]) {
          const r = await fx.target.waitReady(color, { timeoutMs: 180_000, signal });
          if (!r.ok) throw new Error(`${color} not ready: ${r.reason}\n${instanceLogs(fx)}`);
        }
        await fx.router.switchTo('blue');
      } catch (err) {
        await fx.close();
        throw err;
      }
      return { router: fx.router, observe: (n) => fx.observe(n), close: () => fx.close() };
    },
  });
}
