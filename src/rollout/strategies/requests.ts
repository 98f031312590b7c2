import { setTimeout as delay } from 'node:timers/promises';
import type { ReleaseRecord, ReleaseRequest, ReleaseStore } from '../types.js';
import type { RolloutEvent } from './context.js';

/**
 * How often a running release reads its record for an operator's request: `abort` and `promote` from another
 * process are taken within about this long, at whatever wait the release is in.
 */
export const REQUEST_POLL_MS = 1_000;

/** What the watch needs of the release it serves (the run, without a cycle back to it). */
export interface RequestedRun {
  readonly record: ReleaseRecord | null;
  readonly ctx: { readonly target: { readonly store: ReleaseStore }; report(event: RolloutEvent): void };
  update(patch: Partial<ReleaseRecord>): Promise<void>;
}

/**
 * Reads the release record while a release runs and acts on a request another process wrote into it: `abort`
 * aborts the release signal (the strategy then rolls back exactly as on Ctrl-C), `promote` ends the current
 * canary hold and lets the canary go on past every later pause, timed or manual, to full promotion (its analyses
 * still run). Every wait of a strategy (readiness,
 * analysis, pauses) already listens to the release signal, so an abort lands within a poll interval.
 */
export class RequestWatch {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> = Promise.resolve();
  private promoted = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly run: RequestedRun,
    private readonly abort: (why: string) => void,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.poll()).catch(() => undefined);
    }, REQUEST_POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Once promoted, the release stops at no further pause: the operator asked for all of it. */
  get promoteRequested(): boolean {
    return this.promoted;
  }

  async hold(ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.promoted) return true;
    const ac = new AbortController();
    this.wake = () => ac.abort();
    try {
      await delay(ms, undefined, { signal: AbortSignal.any([signal, ac.signal]) });
      return false;
    } catch (err) {
      if (signal.aborted) throw err;
      return this.promoted;
    } finally {
      this.wake = null;
    }
  }

  private async poll(): Promise<void> {
    const mine = this.run.record;
    // A release that has finished takes nothing: the requester then reads its outcome from the record.
    if (!mine || mine.phase !== 'progressing') return;
    let stored: ReleaseRecord | null;
    try {
      stored = await this.run.ctx.target.store.read();
    } catch {
      return; // An unreadable record now is no request; the next poll reads again.
    }
    const request = stored?.id === mine.id ? stored.request : undefined;
    if (!request || request.takenAt || (mine.request?.at === request.at && mine.request.takenAt)) return;
    await this.take(request);
  }

  private async take(request: ReleaseRequest): Promise<void> {
    const taken = { ...request, takenAt: new Date().toISOString() };
    await this.run.update({ request: taken });
    if (request.action === 'abort') {
      const why = `aborted by ${request.by} (sift deploy abort)`;
      this.run.ctx.report({ type: 'phase', message: why });
      this.abort(why);
      return;
    }
    this.run.ctx.report({ type: 'phase', message: `promote requested by ${request.by}` });
    this.promoted = true;
    this.wake?.();
  }
}
