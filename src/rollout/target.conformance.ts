import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSiftError } from '../errors.js';
import type { ReleaseRecord, Target } from './types.js';

/**
 * The one suite every Target passes against the real thing (a control plane with Deployments and pods, a host
 * with nginx and Sift processes). Images are the fixture's: two healthy releases and one that never gets ready.
 */
export interface TargetFixture {
  readonly target: Target;
  /** A second target over the same objects, as a second operator would have (for the lock). */
  readonly other: Target;
  readonly images: { readonly v1: string; readonly v2: string; readonly notReady: string };
  close(): Promise<void>;
}

export interface TargetFactory {
  readonly name: string;
  /** Builds a target whose two colours exist with zero instances. */
  create(): Promise<TargetFixture>;
  /** Upper bound for one wait; the suite's own timeouts derive from it. */
  readonly readyTimeoutMs: number;
}

const wait = (fx: TargetFixture, timeoutMs: number, color: 'blue' | 'green' = 'blue') =>
  fx.target.waitReady(color, { timeoutMs, signal: new AbortController().signal });

export function describeTargetConformance(factory: TargetFactory): void {
  const t = factory.readyTimeoutMs;
  describe(`Target conformance: ${factory.name}`, { timeout: 4 * t + 60_000 }, () => {
    let fx: TargetFixture;
    beforeAll(async () => {
      fx = await factory.create();
    }, 4 * t);
    afterAll(async () => {
      await fx?.close();
    });

    it('reports both colours with no instances at first', async () => {
      const state = await fx.target.state();
      expect(state.kind).toBe(fx.target.kind);
      for (const color of ['blue', 'green'] as const) {
        expect(state.tracks[color].color).toBe(color);
        expect(state.tracks[color].desired).toBe(0);
        expect(state.tracks[color].total).toBe(0);
      }
      expect(await fx.target.instances('blue')).toEqual([]);
    });

    it('runs an image on a colour and waits until every instance is ready', async () => {
      await fx.target.setImage('blue', fx.images.v1);
      await fx.target.scale('blue', 2);
      const seen: number[] = [];
      const r = await fx.target.waitReady('blue', {
        timeoutMs: t,
        signal: new AbortController().signal,
        onProgress: (track) => seen.push(track.ready),
      });
      expect(r.ok, r.ok ? '' : r.reason).toBe(true);
      expect(r.track).toMatchObject({ image: fx.images.v1, desired: 2, ready: 2, updated: 2, total: 2 });
      expect(seen.length).toBeGreaterThan(0);
      const instances = await fx.target.instances('blue');
      expect(instances).toHaveLength(2);
      expect(instances.every((i) => i.ready && i.image === fx.images.v1 && i.color === 'blue')).toBe(true);
    });

    it('probes instances, returning failures as measurements', async () => {
      const [one] = await fx.target.instances('blue');
      const live = await fx.target.probe(one!, '/health/live', 5_000);
      expect(live).toMatchObject({ ok: true, status: 200, path: '/health/live', instance: one!.id });
      const missing = await fx.target.probe(one!, '/no/such/path', 5_000);
      expect(missing.ok).toBe(false);
      expect(missing.status).toBe(404);
    });

    it('rolls a colour to a new image, leaving no old instance behind', async () => {
      await fx.target.setImage('blue', fx.images.v2);
      const r = await wait(fx, t);
      expect(r.ok, r.ok ? '' : r.reason).toBe(true);
      expect(r.track).toMatchObject({ image: fx.images.v2, ready: 2, total: 2 });
      const instances = await fx.target.instances('blue');
      expect(instances.map((i) => i.image)).toEqual([fx.images.v2, fx.images.v2]);
    });

    it('undoes the last image change', async () => {
      await fx.target.undo('blue');
      const r = await wait(fx, t);
      expect(r.ok, r.ok ? '' : r.reason).toBe(true);
      expect(r.track.image).toBe(fx.images.v1);
    });

    it('reports an image that never gets ready as not ready, with a reason, within the timeout', async () => {
      await fx.target.setImage('green', fx.images.notReady);
      await fx.target.scale('green', 1);
      const started = Date.now();
      const r = await wait(fx, Math.min(t, 20_000), 'green');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).not.toBe('');
      expect(Date.now() - started).toBeLessThan(Math.min(t, 20_000) + 10_000);
      await fx.target.scale('green', 0);
      const back = await wait(fx, t, 'green');
      expect(back.ok, back.ok ? '' : back.reason).toBe(true);
      expect(await fx.target.instances('green')).toEqual([]);
    });

    it('stops waiting when the signal aborts', async () => {
      await fx.target.setImage('green', fx.images.notReady);
      await fx.target.scale('green', 1);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 1_000);
      const started = Date.now();
      const r = await fx.target.waitReady('green', { timeoutMs: t, signal: ac.signal });
      expect(r.ok).toBe(false);
      expect(Date.now() - started).toBeLessThan(t);
      await fx.target.scale('green', 0);
      expect((await wait(fx, t, 'green')).ok).toBe(true);
    });

    it('scales a colour to zero', async () => {
      await fx.target.scale('blue', 0);
      const r = await wait(fx, t);
      expect(r.ok, r.ok ? '' : r.reason).toBe(true);
      expect(r.track).toMatchObject({ desired: 0, total: 0 });
      expect(await fx.target.instances('blue')).toEqual([]);
    });

    it('holds one deploy lock per target, across operators', async () => {
      const lock = await fx.target.store.lock('first@test');
      const refused = await fx.other.store.lock('second@test').then(
        () => null,
        (e: unknown) => e,
      );
      expect(isSiftError(refused) && refused.code).toBe('DEPLOY_LOCKED');
      expect(String((refused as Error).message)).toContain('first@test');
      await lock.release();
      const again = await fx.other.store.lock('second@test');
      await again.release();
    });

    it('keeps the release record where every operator reads it', async () => {
      const now = new Date().toISOString();
      const record: ReleaseRecord = {
        id: 'r-conformance',
        strategy: 'canary',
        phase: 'paused',
        stable: { color: 'blue', image: fx.images.v1 },
        candidate: { color: 'green', image: fx.images.v2 },
        step: 2,
        weight: 20,
        steps: [{ weight: 20 }, { pause: {} }, { weight: 100 }],
        startedAt: now,
        updatedAt: now,
        message: 'paused at 20%',
        owner: 'first@test',
      };
      await fx.target.store.write(record);
      expect(await fx.other.store.read()).toEqual(record);
    });
  });
}
