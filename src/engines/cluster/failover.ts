import { setTimeout as sleep } from 'node:timers/promises';
import { answerOf, answerOrUnavailable, type ClusterResponse } from './transport.js';

/**
 * How a request to a multi-node cluster survives one node dying or hanging. The official clients pick a node
 * from their pool for each attempt and mark a node dead when it refuses, resets or times out (then try the
 * others first); Sift runs the attempts itself so that they all fit in the request's own deadline:
 *
 * - each attempt waits at most `attemptTimeoutMs` (a node that hangs, e.g. a stopped process whose sockets stay
 *   open, costs one attempt instead of the whole deadline: TCP would never say it is gone);
 * - an attempt that could not reach its node, timed out, or was answered 502/503/504 is tried again on another
 *   node as long as time is left. Quick failures (refused, reset, 502-504) end after two rounds over the nodes,
 *   the second after a short pause (a node that was just killed takes a moment to be noticed), so a cluster that
 *   cannot serve at all (red, or down entirely) is answered for quickly rather than retried until the deadline;
 *   timeouts go on until the deadline (each one has already waited its attempt's time).
 *
 * Only a request that may safely reach the cluster twice is sent again after a failure whose fate is unknown (a
 * timeout, a reset connection, a gateway error): reads, searches, refreshes and Sift's bulk writes, whose items
 * are writes by id (stored twice, they are stored once; a partial update carries its sequence number and a
 * stale copy is refused). Anything else (creating an index, moving an alias, a settings change) could be done
 * twice or half, so it gets the whole deadline in one attempt and moves to another node only when its node
 * refused the connection, i.e. the request never left.
 *
 * With a single node there is nowhere to fail over to: one attempt with the whole deadline, as before.
 */
export interface FailoverPolicy {
  /** How many nodes the client was given. */
  nodes: number;
  /** Longest one attempt on one node may take when there are other nodes to try. */
  attemptTimeoutMs: number;
}

/** Failures of the node rather than of the request: another node may answer. */
const NODE_FAILURES = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError']);
/** Answers of a node that could not serve the request right now (gateway errors, unavailable shards). */
const NODE_STATUS = new Set([502, 503, 504]);
/** Pause between the two rounds over the nodes, in milliseconds. */
const ROUND_PAUSE_MS = 100;
const ROUNDS = 2;

const failedNode = (err: unknown) => NODE_FAILURES.has((err as { name?: string })?.name ?? '');
/** The connection was refused: the request never reached a node. */
const neverSent = (err: unknown) =>
  (err as { name?: string })?.name === 'NoLivingConnectionsError' ||
  /ECONNREFUSED/.test((err as { message?: string })?.message ?? '');

/** Last path segments of POST requests that read, or write only by id (see above). */
const RESENDABLE_POST = new Set(['_search', '_count', '_msearch', '_mget', '_refresh', '_bulk']);

/** Whether a request may be sent again when its first attempt's fate is unknown. */
export function resendable(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  return method === 'POST' && RESENDABLE_POST.has(path.slice(path.lastIndexOf('/') + 1));
}

/**
 * Runs `attempt(timeoutMs)` until a node answers or `deadlineMs` has passed. `attempt` sends the request once
 * through the client and answers `{ status, body }` (a 4xx/5xx answer included) or throws the client's error;
 * the last failure is what the caller gets when time runs out.
 */
export async function withFailover<T>(
  policy: FailoverPolicy,
  deadlineMs: number,
  request: { method: string; path: string },
  attempt: (timeoutMs: number) => Promise<ClusterResponse<T>>,
): Promise<ClusterResponse<T>> {
  if (policy.nodes <= 1) return attempt(deadlineMs);
  const again = resendable(request.method, request.path);
  const end = performance.now() + deadlineMs;
  for (let tries = 1, quick = 0; ; tries++) {
    const left = Math.floor(end - performance.now());
    const timeoutMs = Math.max(1, again ? Math.min(policy.attemptTimeoutMs, left) : left);
    let outcome: { res: ClusterResponse<T> } | { err: unknown };
    try {
      outcome = { res: await attempt(timeoutMs) };
    } catch (err) {
      if (!failedNode(err) || !(again || neverSent(err))) throw err;
      outcome = { err };
    }
    if ('res' in outcome && !(again && NODE_STATUS.has(outcome.res.status))) return outcome.res;
    if (!('err' in outcome && (outcome.err as { name?: string }).name === 'TimeoutError')) quick++;
    const pause = tries % policy.nodes === 0 ? ROUND_PAUSE_MS : 0;
    // Another attempt needs time for the pause and a useful wait for an answer.
    if (
      quick >= ROUNDS * policy.nodes ||
      end - performance.now() - pause < Math.min(policy.attemptTimeoutMs, 100)
    ) {
      if ('res' in outcome) return outcome.res;
      throw outcome.err;
    }
    if (pause) await sleep(pause);
  }
}

/**
 * One request as both transports send it through their official client: attempts under withFailover, an error
 * answer (a 4xx/5xx the cluster gave) taken as the answer rather than thrown, and a cluster that could not be
 * reached turned into Sift's 503 answer. `send(timeoutMs)` is one attempt through the client; `onFailure` sees
 * each attempt's error before it is judged (the Elasticsearch client needs telling that a timed-out node is dead).
 */
export async function sendWithFailover<T>(
  product: string,
  policy: FailoverPolicy,
  deadlineMs: number,
  request: { method: string; path: string },
  send: (timeoutMs: number) => Promise<{ statusCode?: number | null; body: unknown }>,
  onFailure?: (err: unknown) => void,
): Promise<ClusterResponse<T>> {
  try {
    return await withFailover<T>(policy, deadlineMs, request, async (timeoutMs) => {
      try {
        const res = await send(timeoutMs);
        return { status: res.statusCode ?? 200, body: res.body as T };
      } catch (err) {
        const answer = answerOf(err);
        if (answer) return answer as ClusterResponse<T>;
        onFailure?.(err);
        throw err;
      }
    });
  } catch (err) {
    return answerOrUnavailable(product, err) as ClusterResponse<T>;
  }
}
