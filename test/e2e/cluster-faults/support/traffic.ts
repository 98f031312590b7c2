import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Steady, bounded load on a real Sift while a fault happens underneath: a few searchers and a couple of writers,
 * each a closed loop with a short pause (so the load stays bounded on a shared 2-core machine), and a readiness
 * poller. Writers store new documents under ids of their own and keep the ids Sift acknowledged, so the test can
 * check afterwards that none was lost. Every request is recorded with when it left and when it ended.
 */

export interface Call {
  kind: 'search' | 'write';
  startMs: number;
  endMs: number;
  /** HTTP status, or 0 when no answer came. */
  status: number;
  what?: string;
}

export interface TrafficOptions {
  base: string;
  index: string;
  /** Prefix of the written documents' ids (one per fault). */
  idPrefix: string;
  searchers?: number;
  writers?: number;
}

const TERMS = ['dune', 'war', 'planet', 'note', 'fault', 'space', 'family', 'ring'];

export class Traffic {
  readonly calls: Call[] = [];
  readonly acked: string[] = [];
  readonly readiness: { atMs: number; status: number; detail?: string }[] = [];
  private readonly t0 = performance.now();
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly opts: TrafficOptions) {}

  /** Milliseconds since the traffic started. */
  now(): number {
    return performance.now() - this.t0;
  }

  start(): this {
    const searchers = this.opts.searchers ?? 4;
    const writers = this.opts.writers ?? 2;
    for (let i = 0; i < searchers; i++) this.loops.push(this.searcher(i));
    for (let i = 0; i < writers; i++) this.loops.push(this.writer(i));
    this.loops.push(this.readinessPoller());
    return this;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private async call(kind: Call['kind'], url: string, init: RequestInit = {}): Promise<number> {
    const startMs = this.now();
    let status = 0;
    let what: string | undefined;
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
      status = res.status;
      const body = await res.text();
      if (status >= 300) what = body.slice(0, 200);
    } catch (err) {
      what = (err as Error).message;
    }
    this.calls.push({ kind, startMs, endMs: this.now(), status, ...(what ? { what } : {}) });
    return status;
  }

  private async searcher(i: number): Promise<void> {
    for (let n = 0; !this.stopping; n++) {
      const q = TERMS[(n + i) % TERMS.length]!;
      await this.call('search', `${this.opts.base}/api/indexes/${this.opts.index}/search?q=${q}&size=5`);
      await sleep(20);
    }
  }

  private async writer(i: number): Promise<void> {
    for (let n = 0; !this.stopping; n++) {
      const id = `${this.opts.idPrefix}-w${i}-${n}`;
      const status = await this.call(
        'write',
        `${this.opts.base}/api/indexes/${this.opts.index}/documents/${id}`,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            title: `Fault note ${n}`,
            summary: `written by writer ${i} while a node fails`,
            author: 'Writer',
            genre: 'note',
            pages: n,
            rating: 1,
            published: '2020-01-01',
            in_print: true,
          }),
        },
      );
      if (status >= 200 && status < 300) this.acked.push(id);
      await sleep(50);
    }
  }

  private async readinessPoller(): Promise<void> {
    while (!this.stopping) {
      const atMs = this.now();
      let status = 0;
      let detail: string | undefined;
      try {
        const res = await fetch(`${this.opts.base}/health/ready`, { signal: AbortSignal.timeout(15_000) });
        status = res.status;
        const body = await res.text();
        if (status !== 200) detail = body.slice(0, 300);
      } catch (err) {
        detail = (err as Error).message;
      }
      this.readiness.push({ atMs, status, ...(detail ? { detail } : {}) });
      await sleep(500);
    }
  }
}

export interface FaultFigures {
  fault: string;
  searches: number;
  searchesFailed: number;
  writes: number;
  writesAcked: number;
  writesFailed: number;
  /** Acknowledged writes not found afterwards (filled in by the test). */
  ackedLost: number;
  /** From the fault until the last failed request ended; 0 when none failed. */
  recoverMs: number;
  slowestSearchMs: number;
  slowestWriteMs: number;
  readinessPolls: number;
  readinessNot200: number;
  /** Failures that were not a 503/504 answer in Sift's envelope (a 500, no answer, another status). */
  unclear: string[];
  /** Failed requests among those sent after the cluster healed (`tailFromMs`). */
  tailFailed: number;
  /** The first failures, for the log. */
  failures: string[];
  /** What Sift's log said about the cluster's nodes during the fault (failover.ts), summarised. */
  failover: string[];
}

/** The figures of the calls that ended after `fromMs` (the fault) and started before `toMs`. */
export function figures(
  t: Traffic,
  fault: string,
  fromMs: number,
  toMs = Infinity,
  tailFromMs = Infinity,
): FaultFigures {
  const calls = t.calls.filter((c) => c.endMs >= fromMs && c.startMs < toMs);
  const failed = (c: Call) => c.status < 200 || c.status >= 300;
  const searches = calls.filter((c) => c.kind === 'search');
  const writes = calls.filter((c) => c.kind === 'write');
  const lastFailed = Math.max(fromMs, ...calls.filter(failed).map((c) => c.endMs));
  const polls = t.readiness.filter((r) => r.atMs >= fromMs && r.atMs < toMs);
  const slowest = (cs: Call[]) => Math.round(Math.max(0, ...cs.map((c) => c.endMs - c.startMs)));
  return {
    fault,
    searches: searches.length,
    searchesFailed: searches.filter(failed).length,
    writes: writes.length,
    writesAcked: writes.filter((c) => !failed(c)).length,
    writesFailed: writes.filter(failed).length,
    ackedLost: 0,
    recoverMs: Math.round(lastFailed - fromMs),
    slowestSearchMs: slowest(searches),
    slowestWriteMs: slowest(writes),
    readinessPolls: polls.length,
    readinessNot200: polls.filter((r) => r.status !== 200).length,
    unclear: calls
      .filter(failed)
      .filter(
        (c) => !((c.status === 503 || c.status === 504) && /"error":\{"code":"ENGINE_/.test(c.what ?? '')),
      )
      .map((c) => `${c.kind} ${c.status}: ${c.what?.slice(0, 200) ?? ''}`),
    tailFailed: t.calls.filter((c) => c.startMs >= tailFromMs && failed(c)).length,
    failures: [
      ...calls
        .filter(failed)
        .slice(0, 12)
        .map(
          (c) =>
            `${c.kind} ${c.status} sent at ${Math.round(c.startMs - fromMs)} ms, ` +
            `took ${Math.round(c.endMs - c.startMs)} ms: ${c.what?.slice(0, 120) ?? ''}`,
        ),
      ...polls
        .filter((r) => r.status !== 200)
        .slice(0, 3)
        .map((r) => `readiness ${r.status} at ${Math.round(r.atMs - fromMs)} ms: ${r.detail ?? ''}`),
    ],
    failover: [],
  };
}

/** A line of Sift's JSON log written by failover.ts. */
interface FailoverLine {
  time: string;
  msg: string;
  node?: string;
  cause?: string;
  status?: number;
  error?: string;
  method?: string;
  path?: string;
  ms?: number;
}

/**
 * Sift's failover warnings between two wall-clock times, summarised: each node state change with its time after
 * `fromEpochMs`, and the failed attempts counted by node, cause and the cluster's error type.
 */
export function failoverSummary(log: string, fromEpochMs: number, toEpochMs = Infinity): string[] {
  const lines: FailoverLine[] = [];
  for (const text of log.split('\n')) {
    if (!text.startsWith('{') || !/"msg":"(cluster |partial)/.test(text)) continue;
    try {
      const line = JSON.parse(text) as FailoverLine;
      const at = Date.parse(line.time);
      if (at >= fromEpochMs && at < toEpochMs) lines.push(line);
    } catch {
      // not a log line
    }
  }
  const port = (url = '') => url.replace(/^.*:(\d+)\/?$/, ':$1');
  const partial = lines.filter((l) => l.msg.startsWith('partial')).length;
  const changes = lines
    .filter((l) => l.msg.startsWith('cluster node'))
    .map(
      (l) =>
        `${Date.parse(l.time) - fromEpochMs} ms ${port(l.node)} ${l.msg.split(':')[0]} (${l.cause ?? ''})`,
    );
  const counts = new Map<string, number>();
  for (const l of lines.filter((l) => l.msg.startsWith('cluster attempt failed'))) {
    const what = `${l.method ?? ''} ${l.path?.slice(l.path.lastIndexOf('/') + 1) ?? ''}`;
    const key = `${port(l.node)} ${what} ${l.cause}${l.error ? ` [${l.error.slice(0, 90)}]` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [
    ...changes.slice(0, 20),
    ...[...counts].map(([k, n]) => `${n} x attempt failed: ${k}`),
    ...(partial ? [`${partial} partial search answers`] : []),
  ];
}
