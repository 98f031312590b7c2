import { describe, expect, it } from 'vitest';
import { SiftError } from '../../errors.js';
import type {
  Analysis,
  Color,
  Instance,
  Lock,
  ReleaseRecord,
  ReleaseStore,
  Target,
  StateOptions,
  TargetState,
  TrackState,
  TrafficRouter,
  TrafficSplit,
} from '../types.js';
import { blueGreen } from './blue-green.js';
import { canary } from './canary.js';
import type { RolloutContext, RolloutEvent, RolloutOptions } from './context.js';
import { abort, promote, rollback } from './manage.js';
import { rolling } from './rolling.js';

/**
 * The strategies' decisions, over an in-memory target and router (the real targets and routers are tested
 * against a control plane and nginx). `bad` images never get ready; `fails-check` images fail analysis.
 */
class MemoryStore implements ReleaseStore {
  record: ReleaseRecord | null = null;
  holder: string | null = null;
  lock(owner: string): Promise<Lock> {
    if (this.holder) throw new SiftError('DEPLOY_LOCKED', `held by ${this.holder}`);
    this.holder = owner;
    return Promise.resolve({ owner, release: () => Promise.resolve(void (this.holder = null)) });
  }
  read() {
    return Promise.resolve(this.record);
  }
  write(r: ReleaseRecord) {
    this.record = r;
    return Promise.resolve();
  }
  update(change: (current: ReleaseRecord | null) => ReleaseRecord | null) {
    const next = change(this.record);
    if (next) this.record = next;
    return Promise.resolve(this.record);
  }
}

class MemoryTarget implements Target {
  readonly kind = 'host' as const;
  readonly store = new MemoryStore();
  tracks: Record<Color, { image: string | null; previous: string | null; replicas: number }> = {
    blue: { image: 'v1', previous: null, replicas: 2 },
    green: { image: null, previous: null, replicas: 0 },
  };
  log: string[] = [];
  /** Instances of each colour that died and were not replaced: they count as desired, not ready. */
  lost: Record<Color, number> = { blue: 0, green: 0 };
  /** Instances of each colour that answer their readiness probe only with this much patience or more. */
  slow: Record<Color, { count: number; patience: number }> = {
    blue: { count: 0, patience: 1 },
    green: { count: 0, patience: 1 },
  };
  /** The patience each state() call asked for. */
  patience: number[] = [];
  private track(color: Color, patience = 1): TrackState {
    const t = this.tracks[color];
    const slow = patience < this.slow[color].patience ? this.slow[color].count : 0;
    const ready = t.image === 'bad' ? 0 : Math.max(0, t.replicas - this.lost[color] - slow);
    return { color, image: t.image, desired: t.replicas, ready, updated: t.replicas, total: t.replicas };
  }
  state(options: StateOptions = {}): Promise<TargetState> {
    this.patience.push(options.patience ?? 1);
    return Promise.resolve({
      kind: 'host',
      where: 'memory',
      tracks: { blue: this.track('blue', options.patience), green: this.track('green', options.patience) },
    });
  }
  setImage(color: Color, image: string) {
    this.log.push(`image ${color} ${image}`);
    this.tracks[color] = { ...this.tracks[color], previous: this.tracks[color].image, image };
    return Promise.resolve();
  }
  scale(color: Color, n: number) {
    this.log.push(`scale ${color} ${n}`);
    this.tracks[color].replicas = n;
    return Promise.resolve();
  }
  waitReady(color: Color) {
    const track = this.track(color);
    return Promise.resolve(
      track.ready === track.desired
        ? { ok: true as const, track }
        : { ok: false as const, track, reason: 'never ready' },
    );
  }
  instances(color: Color): Promise<Instance[]> {
    const t = this.tracks[color];
    return Promise.resolve(
      Array.from({ length: t.replicas }, (_, i) => ({
        id: `${color}-${i}`,
        color,
        image: t.image,
        address: 'x',
        ready: true,
      })),
    );
  }
  probe(instance: Instance, path: string) {
    return Promise.resolve({ instance: instance.id, path, ok: true, status: 200, ms: 1 });
  }
  undo(color: Color) {
    this.log.push(`undo ${color}`);
    const t = this.tracks[color];
    this.tracks[color] = { ...t, image: t.previous, previous: t.image };
    return Promise.resolve();
  }
}

class MemoryRouter implements TrafficRouter {
  readonly kind = 'memory';
  split: TrafficSplit = { blue: 100, green: 0 };
  history: TrafficSplit[] = [];
  constructor(readonly supportsWeights = true) {}
  current() {
    return Promise.resolve(this.split);
  }
  switchTo(color: Color) {
    return this.setWeight(color, 100);
  }
  setWeight(color: Color, p: number) {
    this.split = color === 'green' ? { blue: 100 - p, green: p } : { blue: p, green: 100 - p };
    this.history.push(this.split);
    return Promise.resolve();
  }
  verify(expected: TrafficSplit) {
    return Promise.resolve({ ok: expected.blue === this.split.blue, actual: this.split });
  }
}

const checkImage: Analysis = {
  name: 'image check',
  run: async ({ color, target }) => {
    const image = (await target.state()).tracks[color].image;
    return [
      {
        name: 'image check',
        value: image === 'fails-check' ? 0 : 1,
        threshold: '1',
        ok: image !== 'fails-check',
      },
    ];
  },
};

function setup(image: string, options: Partial<RolloutOptions> = {}, signal = new AbortController().signal) {
  const target = new MemoryTarget();
  const router = new MemoryRouter();
  const events: RolloutEvent[] = [];
  const ctx: RolloutContext = {
    target,
    router,
    analyses: [checkImage],
    afterSwitch: [],
    signal,
    report: (e) => events.push(e),
    owner: 'tester',
    options: {
      image,
      readyTimeoutMs: 1_000,
      scaleDownDelayMs: 0,
      dryRun: false,
      rollbackTimeoutMs: 1_000,
      ...options,
    },
  };
  return { target, router, events, ctx };
}

describe('a degraded live colour', () => {
  it('refuses every kind of release before any change, naming the colour', async () => {
    for (const release of [blueGreen, rolling, canary]) {
      const { target, router, ctx } = setup('v2', { steps: [{ weight: 10 }] });
      target.lost.blue = 1;
      const err = await release(ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SiftError);
      expect((err as SiftError).code).toBe('DEPLOY_DEGRADED');
      expect((err as SiftError).message).toMatch(/blue serves with 1 of 2 instances ready/);
      expect(target.log).toEqual([]);
      expect(router.history).toEqual([]);
      expect(target.store.holder).toBeNull();
    }
  });

  it('is not an instance that answers slowly: later looks wait longer for it', async () => {
    const { target, ctx } = setup('v2');
    target.slow.blue = { count: 2, patience: 4 };
    expect((await blueGreen(ctx)).outcome).toBe('succeeded');
    expect(target.patience.slice(0, 3)).toEqual([1, 2, 4]);
  });

  it('is one that stays unready after three looks, each more patient than the last', async () => {
    const { target, ctx } = setup('v2');
    target.slow.blue = { count: 1, patience: 8 };
    const err = await blueGreen(ctx).catch((e: unknown) => e);
    expect((err as SiftError).code).toBe('DEPLOY_DEGRADED');
    expect(target.patience).toEqual([1, 2, 4]);
  });

  it('releases with --force', async () => {
    const { target, ctx } = setup('v2', { force: true });
    target.lost.blue = 1;
    expect((await blueGreen(ctx)).outcome).toBe('succeeded');
  });
});

describe('blue-green', () => {
  it('releases on the idle colour, switches, and scales the old one down', async () => {
    const { target, router, ctx } = setup('v2');
    const r = await blueGreen(ctx);
    expect(r.outcome).toBe('succeeded');
    expect(router.split).toEqual({ blue: 0, green: 100 });
    expect(target.log).toEqual(['image green v2', 'scale green 2', 'scale blue 0']);
    expect(target.store.record).toMatchObject({ phase: 'succeeded', stable: { color: 'blue', image: 'v1' } });
    expect(target.store.holder).toBeNull();
  });

  it('leaves traffic on the old colour when the new one never gets ready', async () => {
    const { target, router, ctx } = setup('bad');
    const r = await blueGreen(ctx);
    expect(r.outcome).toBe('rolled-back');
    expect(r.reason).toMatch(/green did not become ready: never ready/);
    expect(router.split).toEqual({ blue: 100, green: 0 });
    expect(target.tracks.green.replicas).toBe(0);
    expect(target.tracks.blue.replicas).toBe(2);
    expect(target.store.record?.phase).toBe('rolled-back');
  });

  it('never switches to a candidate that fails its checks', async () => {
    const { router, ctx } = setup('fails-check');
    const r = await blueGreen(ctx);
    expect(r.outcome).toBe('rolled-back');
    expect(router.history.every((s) => s.blue === 100)).toBe(true);
    expect(r.measurements.map((m) => m.ok)).toEqual([false]);
  });

  it('switches back when the check after the switch fails', async () => {
    const { router, ctx } = setup('v2');
    const failing: Analysis = {
      name: 'front door',
      run: () => Promise.resolve([{ name: 'front door', value: 0.5, threshold: '>= 0.95', ok: false }]),
    };
    const r = await blueGreen({ ...ctx, afterSwitch: [failing] });
    expect(r.outcome).toBe('rolled-back');
    expect(router.history).toEqual([
      { blue: 0, green: 100 },
      { blue: 100, green: 0 },
    ]);
    expect(r.actions).toContain('switched traffic to blue');
  });

  it('is refused while another deploy holds the lock, changing nothing', async () => {
    const { target, ctx } = setup('v2');
    await target.store.lock('someone else');
    await expect(blueGreen(ctx)).rejects.toMatchObject({ code: 'DEPLOY_LOCKED' });
    expect(target.log).toEqual([]);
  });

  it('retreats when interrupted and says what it did', async () => {
    const ac = new AbortController();
    const { target, router, ctx } = setup('v2', {}, ac.signal);
    const slow: Analysis = {
      name: 'slow',
      run: () => {
        ac.abort(new Error('interrupted (SIGINT)'));
        return Promise.resolve([]);
      },
    };
    const r = await blueGreen({ ...ctx, analyses: [slow] });
    expect(r.outcome).toBe('rolled-back');
    expect(r.reason).toBe('interrupted (SIGINT)');
    expect(router.split.blue).toBe(100);
    expect(target.tracks.green.replicas).toBe(0);
    expect(r.actions).toEqual([
      'set green to v2',
      'scaled green to 2',
      'switched traffic to blue',
      'scaled green to 0',
    ]);
  });

  it('changes nothing in a dry run and records nothing', async () => {
    const { target, ctx } = setup('bad', { dryRun: true });
    const r = await blueGreen(ctx);
    expect(r.outcome).toBe('succeeded');
    expect(r.actions.every((a) => a.startsWith('(dry run)'))).toBe(true);
    expect(target.store.record).toBeNull();
  });
});

describe('rolling', () => {
  it('updates the live colour in place', async () => {
    const { target, router, ctx } = setup('v2');
    expect((await rolling(ctx)).outcome).toBe('succeeded');
    expect(target.tracks.blue.image).toBe('v2');
    expect(router.history).toEqual([]);
  });

  it('undoes a release that never gets ready', async () => {
    const { target, ctx } = setup('bad');
    const r = await rolling(ctx);
    expect(r.outcome).toBe('rolled-back');
    expect(target.log).toEqual(['image blue bad', 'undo blue']);
    expect(target.tracks.blue.image).toBe('v1');
  });
});

describe('canary', () => {
  const steps = [{ weight: 20 }, { analysis: true as const }, { pause: {} }, { weight: 60 }];

  it('walks the weights, pauses for promote, then promotes', async () => {
    const { target, router, ctx } = setup('v2', { steps });
    const first = await canary(ctx);
    expect(first.outcome).toBe('paused');
    expect(router.split).toEqual({ blue: 80, green: 20 });
    expect(target.store.record).toMatchObject({ phase: 'paused', step: 3, weight: 20 });
    const done = await promote(ctx);
    expect(done.outcome).toBe('succeeded');
    expect(router.history.map((s) => s.green)).toEqual([20, 60, 100]);
    expect(target.tracks.blue.replicas).toBe(0);
  });

  it('aborts a paused canary back to the stable colour; a second abort changes nothing', async () => {
    const { target, router, ctx } = setup('v2', { steps });
    await canary(ctx);
    expect((await abort(ctx)).outcome).toBe('aborted');
    expect(router.split).toEqual({ blue: 100, green: 0 });
    expect(target.tracks.green.replicas).toBe(0);
    const log = [...target.log];
    expect((await abort(ctx)).outcome).toBe('noop');
    expect(target.log).toEqual(log);
  });

  it('rolls back when analysis fails at a step', async () => {
    const { router, ctx } = setup('fails-check', { steps: [{ weight: 20 }, { analysis: true }] });
    const r = await canary({ ...ctx, analyses: [] });
    expect(r.outcome).toBe('succeeded');
    const { router: r2, ctx: c2 } = setup('fails-check', { steps: [{ weight: 20 }, { analysis: true }] });
    const failed = await canary(c2);
    expect(failed.outcome).toBe('rolled-back');
    expect(r2.split.blue).toBe(100);
    expect(router.split.green).toBe(100);
  });

  it('is refused up front by a router without weights', async () => {
    const { target, ctx } = setup('v2', { steps });
    await expect(canary({ ...ctx, router: new MemoryRouter(false) })).rejects.toMatchObject({
      code: 'DEPLOY_UNSUPPORTED',
    });
    expect(target.log).toEqual([]);
  });
});

describe('rollback', () => {
  it('takes a finished blue-green release back to the previous image with every check', async () => {
    const { target, router, ctx } = setup('v2');
    await blueGreen(ctx);
    const r = await rollback(ctx);
    expect(r.outcome).toBe('rolled-back');
    expect(router.split).toEqual({ blue: 100, green: 0 });
    expect(target.tracks.blue.image).toBe('v1');
  });

  it('refuses when nothing was released', async () => {
    const { ctx } = setup('v2');
    await expect(rollback(ctx)).rejects.toMatchObject({ code: 'DEPLOY_NO_RELEASE' });
    await expect(promote(ctx)).rejects.toMatchObject({ code: 'DEPLOY_NO_RELEASE' });
  });
});
