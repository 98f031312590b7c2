import { randomBytes } from 'node:crypto';
import { SiftError } from '../../errors.js';
import type {
  Color,
  Lock,
  Measurement,
  ReleasePhase,
  ReleaseRecord,
  Strategy,
  TrafficSplit,
} from '../types.js';
import { COLORS, otherColor } from '../types.js';
import type { Outcome, RolloutContext, RolloutResult } from './context.js';

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

export const newReleaseId = (): string =>
  `r-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(2).toString('hex')}`;

/**
 * One release in progress: it holds the lock, keeps the record current, and remembers every change it made and
 * every measurement it took, so the outcome can say exactly what was done.
 */
export class ReleaseRun {
  readonly actions: string[] = [];
  readonly measurements: Measurement[] = [];
  private lock: Lock | null = null;
  record: ReleaseRecord | null = null;

  constructor(
    readonly ctx: RolloutContext,
    readonly strategy: RolloutResult['strategy'],
  ) {}

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
    return live;
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

  private async save(): Promise<void> {
    if (this.dryRun || !this.record) return;
    await this.ctx.target.store.write(this.record);
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
