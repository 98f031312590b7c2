import { describe, expect, it } from 'vitest';
import { withLoadSlot } from '../../support/load-slots.js';
import { RELEASES } from '../../support/rollout-host/host-fixture.js';
import {
  MIN_REQUESTS,
  sleep,
  ZERO_DOWNTIME_TIMEOUT,
  zeroDowntimeHost,
} from '../../support/rollout-host/zero-downtime-host.js';

/**
 * The zero-downtime proof on one host for instance replacement: real nginx (the shipped configuration), real Sift
 * processes, and a steady load through nginx's front door while the live colour's instances are replaced one by
 * one. Every request must be answered 2xx: no 5xx from nginx, no reset connection, no timeout.
 */

describe('zero downtime on the host target: rolling setImage', { timeout: ZERO_DOWNTIME_TIMEOUT }, () => {
  const host = zeroDowntimeHost();

  it('replaces the live colour instance by instance (rolling setImage) without a failed request', () =>
    withLoadSlot(async () => {
      const fx = host.fixture();
      expect(await fx.router.current()).toEqual({ blue: 100, green: 0 });
      const rolls: string[] = [];
      const { summary: s, who } = await host.underLoad(
        `rolling${process.pid}`,
        () => `host rolling setImage x${rolls.length} (${rolls.join(' -> ')})`,
        async (run) => {
          let image: string = RELEASES.v2;
          while (run.sent() < MIN_REQUESTS || rolls.length < 2) {
            await sleep(2_000);
            await fx.target.setImage('blue', image);
            const r = await host.ready('blue');
            expect(r.track).toMatchObject({ image, ready: 2, total: 2 });
            rolls.push(image);
            image = image === RELEASES.v2 ? RELEASES.v1 : RELEASES.v2;
          }
          await sleep(2_000);
        },
      );
      expect(s.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
      expect(s.non2xx).toEqual({});
      expect(s.errors).toEqual({});
      expect(s.ok).toBe(s.requests);
      expect(who.logged).toBe(s.requests);
      // Green had no traffic; blue's traffic moved across more than its two ports (the surge instances).
      expect(who.byColor.green).toBe(0);
      expect(Object.keys(who.byPort).length).toBeGreaterThan(2);
    }));
});
