import { describe, expect, it } from 'vitest';
import { withLoadSlot } from '../../support/load-slots.js';
import type { Color } from '../../../src/rollout/types.js';
import {
  MIN_REQUESTS,
  sleep,
  ZERO_DOWNTIME_TIMEOUT,
  zeroDowntimeHost,
} from '../../support/rollout-host/zero-downtime-host.js';

/**
 * The zero-downtime proof on one host for traffic moves: real nginx (the shipped configuration), real Sift
 * processes, and a steady load through nginx's front door while all traffic moves between colours (graceful
 * reloads). Every request must be answered 2xx: no 5xx from nginx, no reset connection, no timeout.
 */

describe('zero downtime on the host target: router switches', { timeout: ZERO_DOWNTIME_TIMEOUT }, () => {
  const host = zeroDowntimeHost();

  it('moves all traffic blue -> green -> blue (graceful reloads) without a failed request', () =>
    withLoadSlot(async () => {
      const fx = host.fixture();
      let switches = 0;
      const { summary: s, who } = await host.underLoad(
        `switch${process.pid}`,
        () => `host router switch x${switches}`,
        async (run) => {
          let to: Color = 'green';
          while (run.sent() < MIN_REQUESTS || switches < 2) {
            await sleep(4_000);
            await fx.router.switchTo(to);
            expect(
              (await fx.router.verify({ blue: to === 'blue' ? 100 : 0, green: to === 'green' ? 100 : 0 })).ok,
            ).toBe(true);
            switches++;
            to = to === 'green' ? 'blue' : 'green';
          }
          // End on blue, where the host started.
          if (to === 'blue') {
            await sleep(2_000);
            await fx.router.switchTo('blue');
            switches++;
          }
          await sleep(2_000);
        },
      );
      expect(s.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
      expect(s.non2xx).toEqual({});
      expect(s.errors).toEqual({});
      expect(s.ok).toBe(s.requests);
      // nginx logged each request exactly once: a resent request had never reached it the first time.
      expect(who.logged).toBe(s.requests);
      expect(who.byColor.blue).toBeGreaterThan(0);
      expect(who.byColor.green).toBeGreaterThan(0);
    }));
});
