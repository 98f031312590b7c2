import { setTimeout as sleep } from 'node:timers/promises';
import { NodeHealth } from './node-health.js';
import { judge, persistent, resendable, roundPauseMs, type Attempt } from './retry-decision.js';
import {
  answerOf,
  answerOrUnavailable,
  clientParams,
  type ClusterRequest,
  type ClusterResponse,
} from './transport.js';

export { resendable } from './retry-decision.js';

/**
 * How a request to a multi-node cluster survives one node dying or hanging. Each transport keeps one client per
 * node URL and Sift picks the node of every attempt itself (node-health.ts), so that all attempts fit in the
 * request's own deadline and a node that failed is left alone until it answers a probe:
 *
 * - each attempt waits at most `attemptTimeoutMs` (a node that hangs, e.g. a stopped process whose sockets stay
 *   open, costs one attempt instead of the whole deadline: TCP would never say it is gone);
 * - what a failed attempt means is retry-decision.ts's call: another node is tried at once, and after a round over
 *   every node the next round starts after a short pause that grows (100 ms, 200 ms... 1 s), as long as time is
 *   left. Reads go on until their deadline (a replica is being promoted, a node is being dropped: the cluster is
 *   healing); writes stop after two rounds of quick failures (bulk.ts has its own backoff); every request stops
 *   once every node refused twice in a row (the cluster is down: say so now rather than at the deadline);
 * - while a node is suspect, searches and counts ask the cluster to prefer the shard copies on the other nodes
 *   (`preference=_prefer_nodes:...`, by the node ids the probes learnt): a healthy coordinating node would
 *   otherwise keep waiting on a copy held by a node that hangs, until the cluster drops that node.
 *
 * With a single node there is nowhere to fail over to: one attempt with the whole deadline.
 */
export interface FailoverPolicy {
  /** How many nodes the client was given. */
  nodes: number;
  /** Longest one attempt on one node may take when there are other nodes to try. */
  attemptTimeoutMs: number;
}

/** One attempt on one node through its client: `{ statusCode, body }`, or the client's error. */
export type SendToNode = (
  node: number,
  params: ReturnType<typeof clientParams>,
  timeoutMs: number,
) => Promise<{ statusCode?: number | null; body: unknown }>;

/**
 * Where failed attempts and node state changes are told (the process logger), as warnings: they happen only while
 * a node is in trouble, and they are what tells an operator which node and why.
 */
export interface FailoverLog {
  warn(obj: object, msg: string): void;
}

/**
 * Longest a probe waits, in milliseconds: a node answers its own id at once unless it hangs, so a shorter wait than
 * a request's tells sooner that searches should leave its shard copies.
 */
const PROBE_TIMEOUT_MS = 1000;
/** Least time worth starting another attempt with, in milliseconds. */
const MIN_ATTEMPT_MS = 100;

/**
 * How a client's error ended the attempt, or undefined when it is not a failure of the node (a bug, a
 * serialisation error: the caller gets it as is). A connection refused (or a pool with no node) never sent the
 * request; any other connection error may have.
 */
export function attemptOf(err: unknown): Attempt | undefined {
  const answer = answerOf(err);
  if (answer) return { kind: 'answer', ...answer };
  const e = err as { name?: string; message?: string } | undefined;
  if (e?.name === 'TimeoutError') return { kind: 'timeout' };
  if (e?.name === 'NoLivingConnectionsError') return { kind: 'refused' };
  if (e?.name === 'ConnectionError')
    return /ECONNREFUSED/.test(e.message ?? '') ? { kind: 'refused' } : { kind: 'lost' };
  return undefined;
}

/** What an attempt gave: the answer, or the error to throw if it is the last one. */
type Outcome<T> = { res: ClusterResponse<T> } | { err: unknown };

/**
 * The nodes of one cluster as a transport sees them: which are trusted, their node ids once known, the probes
 * that bring a suspect back, and the failover loop every request goes through.
 */
export class ClusterNodes {
  readonly health: NodeHealth;
  /** Each node's id in the cluster, learnt by probes (for `_prefer_nodes`). */
  private readonly ids: (string | undefined)[];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Nodes with a probe scheduled or in flight. */
  private readonly probing = new Set<number>();
  private closed = false;
  /** Whether the nodes were asked for their ids yet (at the first request). */
  private asked = false;

  constructor(
    private readonly urls: readonly string[],
    private readonly policy: FailoverPolicy,
    private readonly send: SendToNode,
    private readonly log?: FailoverLog,
  ) {
    this.health = new NodeHealth(urls.length);
    this.ids = urls.map(() => undefined);
  }

  /**
   * Sends the request under failover within `deadlineMs`: any HTTP answer is returned (the last one when every
   * attempt was answered with a failure), and a cluster that could not be reached becomes Sift's 503 (504 when it
   * did not answer in time).
   */
  async request<T>(product: string, req: ClusterRequest, deadlineMs: number): Promise<ClusterResponse<T>> {
    try {
      if (this.policy.nodes <= 1) return await this.once<T>(0, clientParams(req), deadlineMs);
      return await this.withFailover<T>(req, deadlineMs);
    } catch (err) {
      return answerOrUnavailable(product, err) as ClusterResponse<T>;
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** One attempt, a cluster's error answer taken as the answer. */
  private async once<T>(
    node: number,
    params: ReturnType<typeof clientParams>,
    timeoutMs: number,
  ): Promise<ClusterResponse<T>> {
    try {
      const res = await this.send(node, params, timeoutMs);
      return { status: res.statusCode ?? 200, body: res.body as T };
    } catch (err) {
      const answer = answerOf(err);
      if (answer) return answer as ClusterResponse<T>;
      throw err;
    }
  }

  private async withFailover<T>(req: ClusterRequest, deadlineMs: number): Promise<ClusterResponse<T>> {
    if (!this.asked) {
      // Every node's id, in the background: the preference needs the trusted nodes' ids the moment one hangs, not
      // after probes learn them (searches sent meanwhile could wait on the hung node's shard copies).
      this.asked = true;
      for (let i = 0; i < this.urls.length; i++) this.schedule(i, 0);
    }
    const again = resendable(req.method, req.path);
    const untilDeadline = persistent(req.method, req.path);
    const end = performance.now() + deadlineMs;
    let last: Outcome<T> | undefined;
    /** The last answer a node gave: what the caller gets, rather than a later refusal, when nothing succeeds. */
    let answered: Outcome<T> | undefined;
    let refusedInRow = 0;
    let quick = 0;
    for (let round = 1; ; round++) {
      const pause = roundPauseMs(round);
      if (round > 1 && end - performance.now() - pause < MIN_ATTEMPT_MS) break;
      if (pause) await sleep(pause);
      // Built per round: the preference names the nodes trusted now.
      const params = clientParams(this.withPreference(req));
      for (const node of this.health.order()) {
        const left = Math.floor(end - performance.now());
        if (last && left < MIN_ATTEMPT_MS) break;
        const timeoutMs = Math.max(1, again ? Math.min(this.policy.attemptTimeoutMs, left) : left);
        const started = performance.now();
        let outcome: Outcome<T>;
        let attempt: Attempt;
        try {
          const res = await this.once<T>(node, params, timeoutMs);
          outcome = { res };
          attempt = { kind: 'answer', ...res };
        } catch (err) {
          const failed = attemptOf(err);
          if (!failed) throw err;
          outcome = { err };
          attempt = failed;
        }
        const verdict = judge(attempt, req);
        if (verdict.suspect) this.suspect(node, verdict.cause);
        else if (attempt.kind === 'answer') this.trust(node);
        if (attempt.kind !== 'answer' || verdict.retry) {
          this.log?.warn(
            {
              node: this.urls[node],
              method: req.method,
              path: req.path,
              cause: verdict.cause,
              ...(attempt.kind === 'answer'
                ? { status: attempt.status, error: errorSummary(attempt.body) }
                : {}),
              ms: Math.round(performance.now() - started),
              left_ms: Math.round(end - performance.now()),
            },
            verdict.retry ? 'cluster attempt failed; trying another node' : 'cluster attempt failed',
          );
        }
        if (!verdict.retry) {
          if ('res' in outcome) return outcome.res;
          throw outcome.err;
        }
        last = outcome;
        if ('res' in outcome) answered = outcome;
        refusedInRow = attempt.kind === 'refused' ? refusedInRow + 1 : 0;
        if (attempt.kind !== 'timeout') quick++;
        if (refusedInRow >= 2 * this.policy.nodes) return finish(answered ?? last);
        if (!untilDeadline && quick >= 2 * this.policy.nodes) return finish(answered ?? last);
      }
    }
    return finish(answered ?? last!);
  }

  /**
   * A search or count while some node is unreachable (suspect, and its probe failed too), with the cluster asked to
   * prefer shard copies on the other nodes whose ids are known. A node that is only suspect is not left out: a
   * healthy node turns suspect when it times out waiting on the hung one, and answers its probe at once. Left
   * alone: a request that names its own preference, a point-in-time search (its copies are fixed), and any
   * request when no other node's id is known yet.
   */
  private withPreference(req: ClusterRequest): ClusterRequest {
    const segment = req.path.slice(req.path.lastIndexOf('/') + 1);
    if (segment !== '_search' && segment !== '_count') return req;
    if (req.querystring?.preference !== undefined || (req.body as { pit?: unknown })?.pit) return req;
    const reachable = this.health.reachable();
    if (reachable.length === this.urls.length) return req;
    const ids = reachable.map((i) => this.ids[i]).filter((id): id is string => id !== undefined);
    if (!ids.length) return req;
    return { ...req, querystring: { ...req.querystring, preference: `_prefer_nodes:${ids.join(',')}` } };
  }

  private suspect(node: number, cause: string): void {
    const wasSuspect = this.health.isSuspect(node);
    const probeInMs = this.health.fail(node, performance.now());
    if (!wasSuspect) {
      this.log?.warn(
        { node: this.urls[node], cause },
        'cluster node suspect: requests go to the other nodes first',
      );
      // The other nodes' ids, for the preference that keeps searches off this node's shard copies.
      for (let i = 0; i < this.urls.length; i++) {
        if (i !== node && this.ids[i] === undefined) this.schedule(i, 0);
      }
    }
    if (probeInMs !== undefined) this.schedule(node, probeInMs);
  }

  private trust(node: number): void {
    if (!this.health.isSuspect(node)) return;
    this.health.trust(node);
    this.log?.warn({ node: this.urls[node] }, 'cluster node answers again: trusted');
  }

  /** Probes the node after `delayMs`, unless a probe of it is already on its way. */
  private schedule(node: number, delayMs: number): void {
    if (this.closed || this.probing.has(node)) return;
    this.probing.add(node);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.probe(node);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  /**
   * A small request of Sift's own: the node's id in the cluster. Any answer means the node is back (even an error
   * status: the process answers); no answer in one attempt's time means it stays suspect, probed again later.
   */
  private async probe(node: number): Promise<void> {
    let answered = false;
    try {
      const res = await this.once<{ nodes?: Record<string, unknown> }>(
        node,
        clientParams({ method: 'GET', path: '/_nodes/_local', querystring: { filter_path: 'nodes.*.name' } }),
        Math.min(PROBE_TIMEOUT_MS, this.policy.attemptTimeoutMs),
      );
      answered = true;
      const id = Object.keys(res.body?.nodes ?? {})[0];
      if (res.status === 200 && id) this.ids[node] = id;
    } catch {
      // Not answered: still suspect.
    }
    this.probing.delete(node);
    if (this.closed) return;
    if (answered) {
      this.trust(node);
    } else if (this.health.isSuspect(node)) {
      this.health.probeFailed(node, performance.now());
      this.schedule(node, this.health.nextProbeMs(node));
    }
  }
}

/** The last attempt's answer, or its error thrown. */
function finish<T>(last: Outcome<T>): ClusterResponse<T> {
  if ('res' in last) return last.res;
  throw last.err;
}

/** The error type and reason of a cluster's error answer, short, for the log. */
function errorSummary(body: unknown): string | undefined {
  const e = (body as { error?: { type?: string; reason?: string } } | undefined)?.error;
  if (!e || typeof e !== 'object') return undefined;
  return `${e.type ?? ''}: ${(e.reason ?? '').slice(0, 200)}`;
}
