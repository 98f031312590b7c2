import { Agent, request, type ClientRequest, type IncomingHttpHeaders } from 'node:http';

/**
 * A steady-rate HTTP load generator for the zero-downtime tests, on loopback only. Open loop: request n leaves at
 * start + n / rate whether or not earlier ones have answered (a closed loop would slow down exactly when the
 * server has trouble and so hide it). Connections are kept alive and reused, like a real client's pool, and the
 * load comes from many loopback addresses (127.0.0.2, 127.0.0.3, ...) so per-client limits in front of the
 * service (nginx's limit_req, Sift's own) see many ordinary clients rather than one abusive one.
 *
 * Every request ends up in exactly one bucket: a 2xx, a non-2xx (by status) or a transport error (by code).
 */

export interface LoadOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080`. Only 127.0.0.0/8 is accepted. */
  readonly url: string;
  /** The path of the n-th request; unique paths keep response caches from answering instead of the service. */
  readonly path: (n: number) => string;
  /** Requests per second. */
  readonly rate: number;
  /** Stops by itself after this long (it may be stopped earlier). */
  readonly durationMs: number;
  /** Stops by itself after this many requests. */
  readonly maxRequests?: number;
  /** How many client addresses to spread the load over (default 64). */
  readonly clients?: number;
  /** Keep-alive connections per client address (default 4); a request waits for a free one. */
  readonly connectionsPerClient?: number;
  /** Requests in flight at most, over all clients (default: no limit beyond the connections); 1 sends them one
   * after another, each from the next client address, so per-address rate limits still see a trickle. */
  readonly maxInFlight?: number;
  /** A request without an answer after this long is a transport error `TIMEOUT` (default 60 s, above nginx's
   * 35 s proxy_read_timeout, so a slow upstream shows as nginx's 504 rather than as a client-side guess). */
  readonly timeoutMs?: number;
  /** Resend a GET whose reused connection was closed before any answer (default true; see run()). */
  readonly resendOnIdleClose?: boolean;
  /** Names the instance (or colour) that answered, from the response headers, when they say it. */
  readonly identify?: (headers: IncomingHttpHeaders) => string | undefined;
}

export interface LoadSummary {
  readonly requests: number;
  readonly ok: number;
  /** Answers that were not 2xx, by status. */
  readonly non2xx: Readonly<Record<string, number>>;
  /** Requests that got no answer, by error code. */
  readonly errors: Readonly<Record<string, number>>;
  /** non-2xx answers plus transport errors. */
  readonly failed: number;
  /** Answers per instance, when `identify` recognised them. */
  readonly byInstance: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** Requests sent per second, measured. */
  readonly achievedRate: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Requests that left more than 100 ms after their slot (a busy machine, or every connection busy). */
  readonly delayed: number;
  /** The first failures (up to 50): when (ms after the start), what, and whether the connection was reused. */
  readonly failures: readonly { readonly atMs: number; readonly what: string; readonly reused: boolean }[];
  /**
   * Resends of requests whose reused keep-alive connection the server closed before answering (see run());
   * each such request is then counted by how its resend ended.
   */
  readonly retriedOnReusedConnection: number;
}

/** What the requests whose slots fell inside one window of the run got: one release's share of a longer load. */
export interface LoadWindow {
  readonly requests: number;
  /** Non-2xx answers and transport errors. */
  readonly failed: number;
  /** Failures plus resends after an idle close: what a client that never retries would have lost. */
  readonly strictFailed: number;
  readonly p99Ms: number;
}

export interface LoadRun {
  /** The `performance.now()` reading of the first request's slot: request n's slot is firstSlot + n / rate. */
  readonly firstSlot: number;
  /** Requests sent so far. */
  sent(): number;
  /**
   * The requests scheduled between two `performance.now()` readings, counted once they have all ended (call it
   * after stop()); a request counts in the window its slot falls in.
   */
  between(from: number, to: number): LoadWindow;
  /** Stops sending, waits for the requests in flight and returns the summary. */
  stop(): Promise<LoadSummary>;
  /** Resolves when the load stops by itself (duration or maxRequests) or after stop(). */
  readonly done: Promise<LoadSummary>;
}

function assertLoopback(url: string): URL {
  const u = new URL(url);
  if (u.protocol !== 'http:' || !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(u.hostname)) {
    throw new Error(`load generator: ${url} is not an http URL on 127.0.0.0/8`);
  }
  return u;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export function startLoad(options: LoadOptions): LoadRun {
  const base = assertLoopback(options.url);
  const clients = options.clients ?? 64;
  if (clients < 1 || clients > 250) throw new Error('load generator: clients must be 1..250');
  const perClient = options.connectionsPerClient ?? 4;
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  const agents = Array.from(
    { length: clients },
    (_, i) => new Agent({ keepAlive: true, maxSockets: perClient, localAddress: `127.0.0.${i + 2}` }),
  );
  // Requests in flight per agent. A request is only handed to an agent with a free connection, never queued
  // inside it: Node marks `reusedSocket` only when it takes a socket from the idle pool, not when a queued
  // request inherits one, and the retry rule below depends on that mark.
  const busy = agents.map(() => 0);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const limit = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const resend = options.resendOnIdleClose ?? true;
  const slotOf = (n: number) => started + (n * 1000) / options.rate;

  let sent = 0;
  let scheduled = 0;
  let inFlight = 0;
  let ok = 0;
  let delayed = 0;
  let retried = 0;
  let nextAgent = 0;
  const waiting: number[] = [];
  const non2xx: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const byInstance: Record<string, number> = {};
  // Per request, by its number (its slot is slotOf(n)): its latency, and 0 ok / 1 failed / 2 resent then ok (a
  // strict client's failure), set when it ends; the summary and between() read them.
  const latencyOf: number[] = [];
  const outcomeOf: number[] = [];
  const failures: { atMs: number; what: string; reused: boolean }[] = [];
  const started = performance.now();
  let stopping = false;
  let finishedAt = 0;
  let resolveDone!: (s: LoadSummary) => void;
  const done = new Promise<LoadSummary>((r) => (resolveDone = r));

  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  const failure = (m: Record<string, number>, what: string, reused: boolean) => {
    bump(m, what);
    if (failures.length < 50) failures.push({ atMs: Math.round(performance.now() - started), what, reused });
  };

  const summary = (): LoadSummary => {
    // The array has holes for requests still in flight; filter skips them.
    const sorted = latencyOf.filter(() => true).sort((a, b) => a - b);
    const failed =
      Object.values(non2xx).reduce((a, b) => a + b, 0) + Object.values(errors).reduce((a, b) => a + b, 0);
    const durationMs = Math.round((finishedAt || performance.now()) - started);
    return {
      requests: sent,
      ok,
      non2xx: { ...non2xx },
      errors: { ...errors },
      failed,
      byInstance: { ...byInstance },
      durationMs,
      achievedRate: Math.round((sent / Math.max(1, durationMs)) * 1000),
      latencyMs: {
        p50: Math.round(percentile(sorted, 50) * 10) / 10,
        p99: Math.round(percentile(sorted, 99) * 10) / 10,
        max: Math.round((sorted.at(-1) ?? 0) * 10) / 10,
      },
      delayed,
      failures: [...failures],
      retriedOnReusedConnection: retried,
    };
  };

  const finishIfIdle = () => {
    if (stopping && inFlight === 0 && !finishedAt) {
      finishedAt = performance.now();
      for (const a of agents) a.destroy();
      resolveDone(summary());
    }
  };

  /**
   * One request on agent `a`, and its answer or error. A GET that fails on a reused keep-alive connection before
   * any byte of a response arrived was never processed: the server closed the idle connection just as the request
   * went out (RFC 9112 section 9.3.1; nginx's old workers do exactly that on a reload, and nginx before 1.27.4 has
   * no keepalive_min_timeout to avoid it). Such a request is sent once more, on a new connection, as browsers,
   * curl and Go's client do and as Node's `request.reusedSocket` documentation recommends, and counted under
   * `retriedOnReusedConnection`. A failure on a fresh connection, of the resend, or after any response byte, is an
   * error. Latency is measured from the request's slot in the schedule, so time spent waiting counts.
   */
  const run = (n: number, a: number) => {
    inFlight++;
    busy[a]!++;
    sent++;
    const slot = slotOf(n);
    if (performance.now() - slot > 100) delayed++;
    let settled = false;
    let attempts = 0;
    let current: ClientRequest | null = null;
    const settle = (record: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const okBefore = ok;
      record();
      const latency = performance.now() - slot;
      latencyOf[n] = latency;
      outcomeOf[n] = ok > okBefore ? (attempts > 1 ? 2 : 0) : 1;
      inFlight--;
      busy[a]!--;
      // Node frees a keep-alive socket on the next tick after the response ends; handing the agent a request
      // before that would queue it inside the agent instead of reusing the socket.
      setImmediate(pump);
      finishIfIdle();
    };
    const timer = setTimeout(() => {
      settle(() => failure(errors, 'TIMEOUT', current?.reusedSocket ?? false));
      current?.destroy();
    }, timeoutMs);
    const attempt = () => {
      attempts++;
      let answered = false;
      // The resend goes on a connection of its own: the pool's other idle connections to the same server were
      // most likely closed by the same event.
      const via =
        attempts === 1 ? { agent: agents[a] } : { agent: false as const, localAddress: `127.0.0.${a + 2}` };
      const req = request(
        { host: base.hostname, port: base.port, path: options.path(n), method: 'GET', ...via },
        (res) => {
          answered = true;
          const who = options.identify?.(res.headers);
          res.resume();
          res.once('end', () =>
            settle(() => {
              const status = res.statusCode ?? 0;
              if (status >= 200 && status < 300) ok++;
              else failure(non2xx, String(status), req.reusedSocket);
              if (who) bump(byInstance, who);
            }),
          );
          res.once('error', (err: NodeJS.ErrnoException) =>
            settle(() => failure(errors, err.code ?? err.message, req.reusedSocket)),
          );
        },
      );
      current = req;
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        const closedUnderUs = err.code === 'ECONNRESET' || err.code === 'EPIPE';
        // One resend only: RFC 9110 section 9.2.2 says a client should not retry a failed automatic retry.
        if (resend && req.reusedSocket && !answered && closedUnderUs && attempts === 1) {
          retried++;
          attempt();
          return;
        }
        settle(() => failure(errors, err.code ?? err.message, req.reusedSocket));
      });
      req.end();
    };
    attempt();
  };

  /** Hands waiting requests to agents with a free connection, round robin over the client addresses. */
  const pump = () => {
    while (waiting.length > 0 && inFlight < maxInFlight) {
      let a = -1;
      for (let k = 0; k < agents.length; k++) {
        const i = (nextAgent + k) % agents.length;
        if (busy[i]! < perClient) {
          a = i;
          break;
        }
      }
      if (a < 0) return;
      nextAgent = (a + 1) % agents.length;
      run(waiting.shift()!, a);
    }
  };

  const tick = () => {
    if (stopping) return;
    const elapsed = performance.now() - started;
    // At the time limit, requests scheduled but not yet sent are dropped, not counted: they never left. At the
    // request limit, every scheduled request is sent first.
    if (scheduled >= limit) pump();
    if (elapsed >= options.durationMs || (scheduled >= limit && waiting.length === 0)) {
      stopping = true;
      clearInterval(interval);
      waiting.length = 0;
      finishIfIdle();
      return;
    }
    const due = Math.min(limit, Math.floor((elapsed * options.rate) / 1000) + 1);
    while (scheduled < due) waiting.push(scheduled++);
    pump();
  };
  const interval = setInterval(tick, 2);
  tick();

  const between = (from: number, to: number): LoadWindow => {
    const window: number[] = [];
    let failed = 0;
    let resent = 0;
    for (let n = 0; n < latencyOf.length; n++) {
      const at = slotOf(n);
      if (latencyOf[n] === undefined || at < from || at >= to) continue;
      window.push(latencyOf[n]!);
      if (outcomeOf[n] === 1) failed++;
      else if (outcomeOf[n] === 2) resent++;
    }
    window.sort((a, b) => a - b);
    return {
      requests: window.length,
      failed,
      strictFailed: failed + resent,
      p99Ms: Math.round(percentile(window, 99) * 10) / 10,
    };
  };

  return {
    firstSlot: started,
    sent: () => sent,
    between,
    done,
    async stop() {
      if (!stopping) {
        stopping = true;
        clearInterval(interval);
        waiting.length = 0;
        finishIfIdle();
      }
      return done;
    },
  };
}

/** One line for the CI log: `label: 20412 requests, 20412 2xx, 0 non-2xx, 0 transport errors, ...`. */
export function formatLoad(label: string, s: LoadSummary): string {
  const parts = (m: Readonly<Record<string, number>>) =>
    Object.keys(m).length
      ? ` (${Object.entries(m)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')})`
      : '';
  const nonOk = Object.values(s.non2xx).reduce((a, b) => a + b, 0);
  const errs = Object.values(s.errors).reduce((a, b) => a + b, 0);
  return (
    `${label}: ${s.requests} requests in ${(s.durationMs / 1000).toFixed(1)} s (${s.achievedRate}/s), ` +
    `${s.ok} 2xx, ${nonOk} non-2xx${parts(s.non2xx)}, ${errs} transport errors${parts(s.errors)}; ` +
    `${s.retriedOnReusedConnection} resent after the server closed an idle keep-alive connection under them ` +
    // A client that never retries (many HTTP libraries' default) would have failed those resent ones too.
    `(strict-client failures: ${s.failed + s.retriedOnReusedConnection}); ` +
    `latency p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms` +
    (Object.keys(s.byInstance).length ? `; by instance${parts(s.byInstance)}` : '')
  );
}
