import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Color } from '../../../src/rollout/types.js';
import { formatLoad, startLoad, type LoadRun, type LoadSummary } from '../../support/load.js';
import { instanceLogs, RELEASES, startHostFixture, type HostFixture } from './support/host-fixture.js';

/**
 * The zero-downtime proof on one host: real nginx (the shipped configuration), real Sift processes, and a steady
 * load through nginx's front door while traffic moves between colours and while a colour's instances are replaced
 * one by one. Every request must be answered 2xx: no 5xx from nginx, no reset connection, no timeout.
 */

// A steady rate a 2-core test machine shared with other tests sustains through nginx with room to spare (at
// 400/s it queues, and a queueing test measures the machine, not the release). 20,000 requests take 133 s.
const RATE = 150;
const MIN_REQUESTS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('zero downtime on the host target', { timeout: 900_000 }, () => {
  let fx: HostFixture;
  const signal = new AbortController().signal;

  const ready = async (color: Color) => {
    const r = await fx.target.waitReady(color, { timeoutMs: 180_000, signal });
    if (!r.ok) throw new Error(`${color} not ready: ${r.reason}\n${instanceLogs(fx)}`);
    return r;
  };

  /** Load with unique search URLs (no response cache answers for Sift), marked for the access log. */
  const load = (marker: string): LoadRun & { startedAt: number } => ({
    startedAt: Date.now(),
    ...startLoad({
      url: fx.frontDoor,
      path: (n) => `/api/search?q=${marker}n${n}`,
      rate: RATE,
      // A bound, never reached when all goes well: each test stops the load once it has enough requests.
      durationMs: 600_000,
    }),
  });

  /** The summary line, and on failure when the failures happened relative to nginx's reloads. */
  const report = (
    label: string,
    run: { startedAt: number },
    s: LoadSummary,
    reloads: number[],
    byPort: object,
  ) => {
    console.log(`${formatLoad(label, s)}; answered by ${JSON.stringify(byPort)}`);
    if (s.failed > 0) {
      console.log(
        `reloads at ms ${JSON.stringify(reloads.map((t) => t - run.startedAt))}; first failures ${JSON.stringify(s.failures)}`,
      );
    }
  };

  beforeAll(async () => {
    fx = await startHostFixture({ instances: 2, drainSeconds: 10 });
    await fx.target.setImage('blue', RELEASES.v1);
    await fx.target.scale('blue', 2);
    await fx.target.setImage('green', RELEASES.v2);
    await fx.target.scale('green', 2);
    await ready('blue');
    await ready('green');
    await fx.router.switchTo('blue');
  }, 400_000);

  afterAll(async () => {
    await fx?.close();
  }, 120_000);

  it('moves all traffic blue -> green -> blue (graceful reloads) without a failed request', async () => {
    const marker = `switch${process.pid}`;
    const reloads = fx.watchReloads();
    const run = load(marker);
    let switches = 0;
    try {
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
      // End on blue, where the next test expects the traffic.
      if (to === 'blue') {
        await sleep(2_000);
        await fx.router.switchTo('blue');
        switches++;
      }
      await sleep(2_000);
    } finally {
      const s = await run.stop();
      const who = fx.answeredBy(`q=${marker}n`);
      report(`host router switch x${switches}`, run, s, reloads.stop(), who.byPort);
      expect(s.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
      expect(s.non2xx).toEqual({});
      expect(s.errors).toEqual({});
      expect(s.ok).toBe(s.requests);
      // nginx logged each request exactly once: a resent request had never reached it the first time.
      expect(who.logged).toBe(s.requests);
      expect(who.byColor.blue).toBeGreaterThan(0);
      expect(who.byColor.green).toBeGreaterThan(0);
    }
  });

  it('replaces the live colour instance by instance (rolling setImage) without a failed request', async () => {
    expect(await fx.router.current()).toEqual({ blue: 100, green: 0 });
    const marker = `rolling${process.pid}`;
    const reloads = fx.watchReloads();
    const run = load(marker);
    const rolls: string[] = [];
    try {
      let image: string = RELEASES.v2;
      while (run.sent() < MIN_REQUESTS || rolls.length < 2) {
        await sleep(2_000);
        await fx.target.setImage('blue', image);
        const r = await ready('blue');
        expect(r.track).toMatchObject({ image, ready: 2, total: 2 });
        rolls.push(image);
        image = image === RELEASES.v2 ? RELEASES.v1 : RELEASES.v2;
      }
      await sleep(2_000);
    } finally {
      const s = await run.stop();
      const who = fx.answeredBy(`q=${marker}n`);
      report(
        `host rolling setImage x${rolls.length} (${rolls.join(' -> ')})`,
        run,
        s,
        reloads.stop(),
        who.byPort,
      );
      expect(s.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
      expect(s.non2xx).toEqual({});
      expect(s.errors).toEqual({});
      expect(s.ok).toBe(s.requests);
      expect(who.logged).toBe(s.requests);
      // Green had no traffic; blue's traffic moved across more than its two ports (the surge instances).
      expect(who.byColor.green).toBe(0);
      expect(Object.keys(who.byPort).length).toBeGreaterThan(2);
    }
  });
});
