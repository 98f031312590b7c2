import { randomBytes } from 'node:crypto';
import { SiftError } from '../../errors.js';
import type {
  Color,
  Lock,
  Measurement,
  ReleasePhase,
  ReleaseRecord,
  Strategy,
  Target,
  TrafficSplit,
} from '../types.js';
import { COLORS, otherColor } from '../types.js';
import type { Outcome, RolloutContext, RolloutResult } from './context.js';
import { pause } from '../pause.js';
import { RequestWatch } from './requests.js';

/** How many times a release looks at the live colour's readiness before it calls the colour degraded. */
const HEALTH_LOOKS = 3;

/** Raised inside a strategy when a check fails; the strategy catches it and retreats. */
export class ReleaseFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReleaseFailure';
  }
}

/** The single colour that takes all traffic, or null when traffic is split (a canary is in progress). */
export function liveColor(split: TrafficSplit): Color | null {
  return COLORS.find((c) => split[c] === 100) ?? null;
}

export const fullSplit = (color: Color): TrafficSplit =>
  color === 'blue' ? { blue: 100, green: 0 } : { blue: 0, green: 100 };

/**
 * The candidate's size: what the live colour asks for, or on a first release (nothing live) the target's default
 * (the host config's `instances`), at least 1.
 */
export const replicasOf = (target: Target, liveDesired: number): number =>
  Math.max(1, liveDesired > 0 ? liveDesired : (target.defaultReplicas ?? 1));

export const newReleaseId = (): string =>
  `r-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(2).toString('hex')}`;

/**
 * One release in progress: it holds the lock, keeps the record current, and remembers every change it made and
 * every measurement it took, so the outcome can say exactly what was done.
 */
export class ReleaseRun {
  readonly actions: string[] = [];
  readonly measurements: Measurement[] = [];
  /** The caller's context, with a signal that also aborts when an operator's abort request is taken. */
  readonly ctx: RolloutContext;
  private lock: Lock | null = null;
  record: ReleaseRecord | null = null;
  private readonly requested = new AbortController();
  private readonly requests: RequestWatch;
  /** Record writes, one after another: the request watch and the strategy both write. */
  private saving: Promise<void> = Promise.resolve();

  constructor(
    ctx: RolloutContext,
    readonly strategy: RolloutResult['strategy'],
  ) {
    this.ctx = { ...ctx, signal: AbortSignal.any([ctx.signal, this.requested.signal]) };
    this.requests = new RequestWatch(this, (why) => this.requested.abort(new Error(why)));
  }

  /**
   * Waits `ms` (a canary's hold) unless a promote request ends it first; true when promoted. Throws when the
   * release signal aborts, as `sleep` does.
   */
  hold(ms: number): Promise<boolean> {
    return this.requests.hold(ms, this.ctx.signal);
  }

  /** An operator promoted this running release: it stops at no further pause. */
  get promoteRequested(): boolean {
    return this.requests.promoteRequested;
  }

  get dryRun(): boolean {
    return this.ctx.options.dryRun;
  }

  phase(message: string): void {
    this.ctx.report({ type: 'phase', message });
  }

  /** Records a change to the target or traffic (in dry run: a change that would be made). */
  did(message: string): void {
    const line = this.dryRun ? `(dry run) ${message}` : message;
    this.actions.push(line);
    this.ctx.report({ type: 'action', message: line });
  }

  /** Takes the target's lock; a dry run only reads, so it takes none. */
  async acquire(): Promise<void> {
    if (this.dryRun) return;
    this.lock = await this.ctx.target.store.lock(this.ctx.owner);
  }

  async releaseLock(): Promise<void> {
    await this.requests.stop();
    const lock = this.lock;
    this.lock = null;
    await lock?.release();
  }

  /** The colour with all the traffic; refuses to start a release over a split (an unfinished canary). */
  async requireLiveColor(): Promise<Color> {
    const split = await this.ctx.router.current();
    const live = liveColor(split);
    if (!live) {
      throw new SiftError(
        'DEPLOY_INVALID',
        `traffic is split (blue ${split.blue}%, green ${split.green}%): a canary is in progress; ` +
          'finish it with `sift deploy promote` or `sift deploy abort` first',
      );
    }
    if (this.strategy !== 'rollback') await this.requireHealthy(live);
    return live;
  }

  /**
   * A release starts from a colour at full strength: one running fewer ready instances than it asks for (a dead
   * instance not replaced yet) would serve the release's surge and drains with less capacity, and a rollback to
   * it would land on less than it had. `--force` releases anyway; a rollback is never refused for it.
   */
  private async requireHealthy(color: Color): Promise<void> {
    if (this.ctx.options.force) return;
    let track = (await this.ctx.target.state()).tracks[color];
    // Readiness is asked live: one answer lost on a busy machine is not a degraded colour, three in a row are. Each
    // look after the first waits twice as long for an answer, so an instance that is slow, not dead, gets through.
    for (let look = 1; look < HEALTH_LOOKS && track.desired > 0 && track.ready < track.desired; look++) {
      await pause(1_000, this.ctx.signal);
      track = (await this.ctx.target.state({ patience: 2 ** look })).tracks[color];
    }
    if (track.desired > 0 && track.ready < track.desired) {
      throw new SiftError(
        'DEPLOY_DEGRADED',
        `${color} serves with ${track.ready} of ${track.desired} instances ready` +
          (track.unready?.length ? ` (${track.unready.join('; ')})` : '') +
          ': a release from a degraded colour ' +
          'could leave too few to serve. Let it heal first (`sift deploy agent` replaces dead instances on a host and ' +
          'admits pods waiting at the admission gate on Kubernetes; ' +
          '`sift deploy status` shows the colours), or pass --force to release anyway',
        {
          color,
          ready: track.ready,
          desired: track.desired,
          ...(track.unready ? { unready: track.unready } : {}),
        },
      );
    }
  }

  async begin(
    strategy: Strategy,
    stable: { color: Color; image: string | null },
    candidate: { color: Color; image: string },
    extra: Partial<ReleaseRecord> = {},
  ): Promise<void> {
    const now = new Date().toISOString();
    this.record = {
      id: newReleaseId(),
      strategy,
      phase: 'progressing',
      stable,
      candidate,
      startedAt: now,
      updatedAt: now,
      message: `releasing ${candidate.image} on ${candidate.color}`,
      owner: this.ctx.owner,
      router: this.ctx.router.kind,
      ...extra,
    };
    await this.save();
    if (!this.dryRun) this.requests.start();
  }

  /** Continues an existing record (promote, abort, rollback of a paused canary). */
  adopt(record: ReleaseRecord): void {
    this.record = record;
  }

  async update(patch: Partial<ReleaseRecord>): Promise<void> {
    if (!this.record) return;
    this.record = { ...this.record, ...patch, updatedAt: new Date().toISOString() };
    await this.save();
  }

  async finish(phase: ReleasePhase, message: string): Promise<void> {
    await this.update({ phase, message });
  }

  /**
   * Writes the record over what the store holds, keeping a request another process wrote meanwhile: the record
   * is this run's, the request field is shared with `sift deploy abort|promote`.
   */
  private save(): Promise<void> {
    const next = this.saving.then(async () => {
      if (this.dryRun || !this.record) return;
      const mine = this.record;
      const saved = await this.ctx.target.store.update((stored) => {
        const theirs = stored?.id === mine.id ? stored.request : undefined;
        // A request this run has not seen yet wins over the run's copy of an older (or no) request.
        const request = theirs && theirs.at !== mine.request?.at ? theirs : (mine.request ?? theirs);
        return { ...mine, ...(request ? { request } : {}) };
      });
      if (saved && this.record === mine) this.record = saved;
    });
    this.saving = next.catch(() => undefined);
    return next;
  }

  result(outcome: Outcome, reason?: string): RolloutResult {
    return {
      strategy: this.strategy,
      outcome,
      dryRun: this.dryRun,
      actions: [...this.actions],
      measurements: [...this.measurements],
      ...(reason ? { reason } : {}),
      record: this.record,
    };
  }

  /** A signal for the retreat: independent of the (possibly aborted) release signal, bounded on its own. */
  retreatSignal(): AbortSignal {
    return AbortSignal.timeout(this.ctx.options.rollbackTimeoutMs);
  }

  otherThan(color: Color): Color {
    return otherColor(color);
  }
}

/** The reason a release stopped: an interrupt, the overall timeout, a failed check, or an error. */
export function reasonOf(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const r: unknown = signal.reason;
    if (r instanceof Error && r.name === 'TimeoutError') return 'the release timed out (--timeout)';
    if (r instanceof Error && r.message) return r.message;
    return 'interrupted';
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
