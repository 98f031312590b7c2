import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiftError } from '../errors.js';
import type { Color, TrafficRouter, TrafficSplit } from './types.js';

/**
 * The one suite every TrafficRouter passes against the real thing it drives (a Service, a VirtualService, an nginx
 * upstream). A router that cannot do something declares it (`supportsWeights`), and the suite checks the refusal
 * instead; nothing is skipped silently.
 */
export interface RouterFixture {
  readonly router: TrafficRouter;
  /**
   * Sends `n` requests, one after another, through the real data path and counts which colour answered, when the
   * fixture has a data path (nginx does; the test control plane has no Istio proxy and no routable pod IPs, so those fixtures omit it
   * and the suite checks the live configuration only).
   */
  readonly observe?: (n: number) => Promise<Record<Color, number>>;
  close(): Promise<void>;
}

export interface RouterFactory {
  readonly name: string;
  /** Builds a router over freshly created objects with all traffic on blue. */
  create(): Promise<RouterFixture>;
  readonly timeoutMs?: number;
}

const split = (blue: number): TrafficSplit => ({ blue, green: 100 - blue });

/**
 * The counts a router that honours a share `p` may give out of `n` requests. A router may pick at random per
 * request (Envoy's weighted clusters do), which makes a colour's count binomial: six standard deviations either
 * side of n·p fail a correct router about once in 500 million runs (the normal tail beyond 6σ is 2e-9). A
 * weighted round robin (nginx, asked one request at a time) lands within one cycle of n·p, well inside.
 */
function countBounds(n: number, p: number): { min: number; max: number } {
  const spread = 6 * Math.sqrt(n * p * (1 - p));
  return { min: Math.ceil(n * p - spread), max: Math.floor(n * p + spread) };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).not.toBeNull();
  expect(isSiftError(err) ? err.code : String(err)).toBe(code);
}

export function describeRouterConformance(factory: RouterFactory): void {
  describe(`TrafficRouter conformance: ${factory.name}`, { timeout: factory.timeoutMs ?? 120_000 }, () => {
    let fx: RouterFixture;
    beforeAll(async () => {
      fx = await factory.create();
    }, factory.timeoutMs ?? 120_000);
    afterAll(async () => {
      await fx?.close();
    });

    it('starts with all traffic on blue, read back from the live configuration', async () => {
      expect(await fx.router.current()).toEqual(split(100));
      const check = await fx.router.verify(split(100));
      expect(check.ok).toBe(true);
      expect(check.actual).toEqual(split(100));
    });

    it('switches all traffic to green and back, each switch visible on read-back', async () => {
      await fx.router.switchTo('green');
      expect(await fx.router.current()).toEqual(split(0));
      expect((await fx.router.verify(split(0))).ok).toBe(true);
      if (fx.observe) {
        const seen = await fx.observe(20);
        expect(seen).toEqual({ blue: 0, green: 20 });
      }
      await fx.router.switchTo('blue');
      expect(await fx.router.current()).toEqual(split(100));
      if (fx.observe) expect(await fx.observe(20)).toEqual({ blue: 20, green: 0 });
    });

    it('a repeated switch is a no-op, not an error', async () => {
      await fx.router.switchTo('blue');
      await fx.router.switchTo('blue');
      expect(await fx.router.current()).toEqual(split(100));
    });

    it('verify reports a mismatch with the actual split instead of throwing', async () => {
      const check = await fx.router.verify(split(0));
      expect(check.ok).toBe(false);
      expect(check.actual).toEqual(split(100));
    });

    it('refuses weights outside 0..100 or not whole numbers, changing nothing', async () => {
      for (const bad of [-1, 101, 12.5, Number.NaN]) {
        await expectCode(fx.router.setWeight('green', bad), 'DEPLOY_INVALID');
      }
      expect(await fx.router.current()).toEqual(split(100));
    });

    it('treats weight 100 and 0 as switches', async () => {
      await fx.router.setWeight('green', 100);
      expect(await fx.router.current()).toEqual(split(0));
      await fx.router.setWeight('green', 0);
      expect(await fx.router.current()).toEqual(split(100));
    });

    it('splits traffic by weight, or refuses a split when it has no weights', async () => {
      if (!fx.router.supportsWeights) {
        await expectCode(fx.router.setWeight('green', 25), 'DEPLOY_UNSUPPORTED');
        expect(await fx.router.current()).toEqual(split(100));
        return;
      }
      await fx.router.setWeight('green', 25);
      expect(await fx.router.current()).toEqual(split(75));
      expect((await fx.router.verify(split(75))).ok).toBe(true);
      await fx.router.setWeight('blue', 20);
      expect(await fx.router.current()).toEqual(split(20));
      if (fx.observe) {
        // 400 requests at 20% give blue 32..128: an even split (200) or one colour only (0 or 400) is far outside.
        const n = 400;
        const seen = await fx.observe(n);
        expect(seen.blue + seen.green).toBe(n);
        const { min, max } = countBounds(n, 0.2);
        const what = `blue answered ${seen.blue} of ${n} at 20% (expected ${min}..${max})`;
        expect(seen.blue, what).toBeGreaterThanOrEqual(min);
        expect(seen.blue, what).toBeLessThanOrEqual(max);
      }
      await fx.router.switchTo('blue');
      expect(await fx.router.current()).toEqual(split(100));
    });
  });
}
