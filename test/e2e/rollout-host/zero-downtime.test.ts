import { describe, expect, it } from 'vitest';
import type { Color } from '../../../src/rollout/types.js';
import { withLoadSlot } from '../../support/load-slots.js';
import { RELEASES } from '../../support/rollout-host/host-fixture.js';
import {
  MIN_REQUESTS,
  sleep,
  ZERO_DOWNTIME_TIMEOUT,
  zeroDowntimeHost,
} from '../../support/rollout-host/zero-downtime-host.js';

/**
 * The zero-downtime proof on one host: real nginx (the shipped configuration), real Sift processes, and one steady
 * load of at least 20,000 requests through nginx's front door while, in turn, the live colour's instances are
 * replaced one by one (rolling setImage) and then all traffic moves between colours (graceful reloads). Every
 * request must be answered 2xx: no 5xx from nginx, no reset connection, no timeout. Each request names its phase,
 * so nginx's log tells which instances answered which phase.
 */

describe(
  'zero downtime on the host target: instance replacement, then router switches',
  { timeout: ZERO_DOWNTIME_TIMEOUT },
  () => {
    const host = zeroDowntimeHost();

    it('replaces the live colour instance by instance, then moves all traffic blue -> green -> blue, without a failed request', () =>
      withLoadSlot(async () => {
        const fx = host.fixture();
        expect(await fx.router.current()).toEqual({ blue: 100, green: 0 });
        const marker = `zd${process.pid}`;
        let phase = 'roll';
        const rolls: string[] = [];
        let switches = 0;
        const { summary: s, who } = await host.underLoad(
          marker,
          () =>
            `host rolling setImage x${rolls.length} (${rolls.join(' -> ')}), then router switch x${switches}`,
          async (run) => {
            let image: string = RELEASES.v2;
            while (rolls.length < 2) {
              await sleep(2_000);
              await fx.target.setImage('blue', image);
              const r = await host.ready('blue');
              expect(r.track).toMatchObject({ image, ready: 2, total: 2 });
              rolls.push(image);
              image = image === RELEASES.v2 ? RELEASES.v1 : RELEASES.v2;
            }
            await sleep(2_000);
            phase = 'switch';
            let to: Color = 'green';
            while (run.sent() < MIN_REQUESTS || switches < 2) {
              await sleep(4_000);
              await fx.router.switchTo(to);
              expect(
                (await fx.router.verify({ blue: to === 'blue' ? 100 : 0, green: to === 'green' ? 100 : 0 }))
                  .ok,
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
          () => phase,
        );
        expect(s.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
        expect(s.non2xx).toEqual({});
        expect(s.errors).toEqual({});
        expect(s.ok).toBe(s.requests);
        // nginx logged each request exactly once: a resent request had never reached it the first time.
        expect(who.logged).toBe(s.requests);
        // While blue's instances were replaced, green had no traffic, and blue's moved across more than its two
        // ports (the surge instances).
        const rolling = fx.answeredBy(`q=${marker}rolln`);
        expect(rolling.logged).toBeGreaterThan(0);
        expect(rolling.byColor.green).toBe(0);
        expect(Object.keys(rolling.byPort).length).toBeGreaterThan(2);
        // The switches sent traffic to both colours.
        const switching = fx.answeredBy(`q=${marker}switchn`);
        expect(switching.byColor.blue).toBeGreaterThan(0);
        expect(switching.byColor.green).toBeGreaterThan(0);
      }));
  },
);
