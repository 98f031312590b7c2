import { siftMetrics } from '../metrics/registry.js';
import { normalizeQuery } from './normalize.js';
import type { PopularQueries } from './popular-queries.js';
import { SearchRecords, type RawSearch } from './search-record.js';
import type { AnalyticsStore } from './store.js';
import type { EventRecord, EventType } from './types.js';

export type { RawSearch } from './search-record.js';

export interface RawEvent {
  at: number;
  type: EventType;
  index: string;
  /** The query as the client typed it. */
  q: string;
  id: string;
  position: number;
  principal: string;
}

export interface RecorderOptions {
  /** 0..1: the share of searches and events recorded (the same share of both, so CTR stays unbiased). */
  sampleRate: number;
  /** Searches and events held between flushes at most; more are dropped and counted. */
  bufferSize: number;
  flushIntervalMs: number;
  /** Rows older than this are deleted, on a timer. */
  retentionMs: number;
  /**
   * Told of a flush or retention run that failed (a store that is down; the rows are dropped and counted), or of
   * a reload of the popular queries that failed (the ones held stay).
   */
  onError?: (err: unknown, what: 'flush' | 'retention' | 'suggestions') => void;
  /** The popular queries suggestions are completed from (ANALYTICS_SUGGESTIONS); started and closed with the recorder. */
  popular?: PopularQueries;
  /** For tests: the clock and the sampling draw. */
  now?: () => number;
  random?: () => number;
}

/** How often retention runs at most: an hour, or the retention itself when it is shorter. */
const RETENTION_EVERY_MS = 3_600_000;

/**
 * Records searches and events for analytics without touching the request's time: `recordSearch` and
 * `recordEvent` are an O(1) push into a bounded buffer (or a counted drop when it is full, never a wait), and a
 * timer flushes the buffer to the store in one batch, off the request. Retention deletes old rows on another
 * timer. Both timers are unref'd: they never keep a process alive.
 */
export class AnalyticsRecorder {
  private searches: RawSearch[] = [];
  private events: RawEvent[] = [];
  private flushing: Promise<void> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly random: () => number;
  /** Popular queries for suggestions, or null when they are off. */
  readonly popular: PopularQueries | null;
  private readonly metrics = siftMetrics();
  /** Memoized per recorder: a flush of cache hits mostly repeats inputs and answers already seen. */
  private readonly records = new SearchRecords();
  private readonly dropped = {
    search: this.metrics.analyticsDropped.labels({ kind: 'search', reason: 'buffer_full' }),
    event: this.metrics.analyticsDropped.labels({ kind: 'event', reason: 'buffer_full' }),
  };

  constructor(
    readonly store: AnalyticsStore,
    private readonly opts: RecorderOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.popular = opts.popular ?? null;
  }

  /** Starts the flush and retention timers (and runs retention once now). */
  start(): void {
    if (this.timers.length > 0) return;
    const flush = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    const retain = setInterval(
      () => void this.retain(),
      Math.min(RETENTION_EVERY_MS, Math.max(1000, this.opts.retentionMs)),
    );
    flush.unref();
    retain.unref();
    this.timers = [flush, retain];
    void this.retain();
    this.popular?.start();
  }

  /** How many searches and events wait for the next flush. */
  get buffered(): number {
    return this.searches.length + this.events.length;
  }

  private admit(kind: 'search' | 'event'): boolean {
    if (this.opts.sampleRate < 1 && this.random() >= this.opts.sampleRate) return false;
    if (this.searches.length + this.events.length >= this.opts.bufferSize) {
      this.dropped[kind].inc();
      return false;
    }
    return true;
  }

  /** Takes a search: O(1), never waits; false when sampled out or dropped (a full buffer, counted). */
  recordSearch(search: RawSearch): boolean {
    if (!this.admit('search')) return false;
    this.searches.push(search);
    return true;
  }

  /** Takes a click or conversion, under the same sampling and bound as searches. */
  recordEvent(event: RawEvent): boolean {
    if (!this.admit('event')) return false;
    this.events.push(event);
    return true;
  }

  /** Writes what is buffered, in one batch; a flush already running is joined, then this one runs. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffered === 0) return;
    const searches = this.searches;
    const events = this.events;
    this.searches = [];
    this.events = [];
    this.flushing = this.write(searches, events).finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private async write(raw: RawSearch[], rawEvents: RawEvent[]): Promise<void> {
    const searches = this.records.fold(raw);
    const events = rawEvents.map(toEventRecord);
    try {
      await this.store.insert(searches, events);
      this.metrics.analyticsRecorded.inc({ kind: 'search' }, raw.length);
      this.metrics.analyticsRecorded.inc({ kind: 'event' }, events.length);
    } catch (err) {
      // Kept bounded: a store that is down loses these rows (counted) rather than piling them up in memory.
      this.metrics.analyticsDropped.inc({ kind: 'search', reason: 'store_error' }, raw.length);
      this.metrics.analyticsDropped.inc({ kind: 'event', reason: 'store_error' }, events.length);
      this.opts.onError?.(err, 'flush');
    }
  }

  /** Deletes rows older than the retention; answers how many went. */
  async retain(): Promise<number> {
    try {
      return await this.store.deleteBefore(this.now() - this.opts.retentionMs);
    } catch (err) {
      this.opts.onError?.(err, 'retention');
      return 0;
    }
  }

  /** Stops the timers and writes what is buffered. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.popular?.close();
    await this.flush();
  }
}

const toEventRecord = (e: RawEvent): EventRecord => ({
  at: e.at,
  type: e.type,
  index: e.index,
  query: normalizeQuery(e.q),
  docId: e.id,
  position: e.position,
  principal: e.principal,
});
