/**
 * What one failed attempt on one node means for the request (pure; failover.ts runs the attempts). The rule that
 * keeps writes honest: a request is sent again after a failure whose outcome is unknown (a timeout, a lost
 * connection, a gateway or "unavailable" answer) only when reaching the cluster twice does no harm (reads,
 * searches, refreshes, and Sift's bulk writes, which write by id: stored twice, they are stored once, and a
 * partial update carries its sequence number so a stale copy is refused). Anything else (creating an index,
 * moving an alias, a settings change) is sent again only when the connection was refused, i.e. it never left.
 */

/** How one attempt on one node ended. */
export type Attempt =
  /** The node answered, with any status. */
  | { kind: 'answer'; status: number; body: unknown }
  /** The connection was refused: the request never reached the node. */
  | { kind: 'refused' }
  /** The connection broke (reset, closed) after the request may have left: its outcome is unknown. */
  | { kind: 'lost' }
  /** No answer within the attempt's time: the node hangs, or waits on another one that does. */
  | { kind: 'timeout' };

export interface Verdict {
  /** Try another node (time permitting); otherwise this attempt's answer or error is the request's. */
  retry: boolean;
  /** Stop trusting the node this attempt went to (node-health.ts). */
  suspect: boolean;
  /** A short name of the cause, for the log. */
  cause: string;
}

/** Last path segments of POST requests that read, or write only by id (see above). */
const RESENDABLE_POST = new Set(['_search', '_count', '_msearch', '_mget', '_refresh', '_bulk']);
/** Last path segments of requests that only read: worth retrying until the deadline (see `persistent`). */
const READ_POST = new Set(['_search', '_count', '_msearch', '_mget']);
/** Paths whose 200 answer counts shards, where a failed shard makes the answer partial. */
const SHARDED_READ = new Set(['_search', '_count']);

const lastSegment = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Whether a request may be sent again when its first attempt's outcome is unknown. */
export function resendable(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  return method === 'POST' && RESENDABLE_POST.has(lastSegment(path));
}

/**
 * Whether a request keeps being retried (with backoff) until its deadline when nodes answer that they cannot
 * serve it now: reads, whose caller has no retry of its own. Writes get two rounds over the nodes and then the
 * answer, because bulk.ts retries them with its own backoff (twice over would multiply the wait).
 */
export function persistent(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  return method === 'POST' && READ_POST.has(lastSegment(path));
}

/**
 * Answers of a node that is up but cannot serve the request right now: too busy (429), a gateway that lost its
 * node (502, 504), shards unavailable while a copy is promoted or a node is dropped (503: all shards failed,
 * no shard available, no elected manager).
 */
const NOT_NOW = new Set([429, 502, 503, 504]);
/** Gateway answers: the node behind the gateway is gone or hangs, so the URL is as good as down. */
const GATEWAY = new Set([502, 504]);

/**
 * Error types the cluster answers with a 500 when a node it needed for the request left or could not be reached
 * (the coordinating node itself is fine): another attempt finds the shard's other copy.
 */
const NODE_GONE_TYPES = new Set([
  'node_disconnected_exception',
  'node_not_connected_exception',
  'node_closed_exception',
  'connect_transport_exception',
  'receive_timeout_transport_exception',
  'send_request_transport_exception',
  'no_shard_available_action_exception',
  'unavailable_shards_exception',
  'primary_missing_action_exception',
  'cluster_block_exception',
]);

interface ErrorBody {
  error?: { type?: string; root_cause?: { type?: string }[]; caused_by?: { type?: string } };
  _shards?: { failed?: number };
  timed_out?: boolean;
}

/** The error types in a cluster's error answer: its own, its root causes' and its cause's. */
function errorTypes(body: unknown): string[] {
  const e = (body as ErrorBody | undefined)?.error;
  if (!e || typeof e !== 'object') return [];
  return [e.type, e.caused_by?.type, ...(e.root_cause ?? []).map((r) => r.type)].filter(
    (t): t is string => typeof t === 'string',
  );
}

/** A search or count answered 200 with shards that failed (not timed out: retrying would not make it faster). */
export function failedShards(path: string, body: unknown): boolean {
  const b = body as ErrorBody | undefined;
  return SHARDED_READ.has(lastSegment(path)) && (b?._shards?.failed ?? 0) > 0 && b?.timed_out !== true;
}

/** What the attempt means for a request (`method`, `path`). */
export function judge(attempt: Attempt, request: { method: string; path: string }): Verdict {
  const again = resendable(request.method, request.path);
  switch (attempt.kind) {
    case 'refused':
      return { retry: true, suspect: true, cause: 'refused' };
    case 'lost':
      return { retry: again, suspect: true, cause: 'connection lost' };
    case 'timeout':
      return { retry: again, suspect: true, cause: 'timeout' };
    case 'answer': {
      const { status, body } = attempt;
      if (status < 300) {
        // A partial answer is retried on another coordinating node (its shard copies may be elsewhere); the last
        // one is answered partial (search.ts marks it and logs it), never passed off as complete.
        return failedShards(request.path, body)
          ? { retry: again, suspect: false, cause: 'shards failed' }
          : { retry: false, suspect: false, cause: 'answered' };
      }
      if (NOT_NOW.has(status))
        return { retry: again, suspect: GATEWAY.has(status), cause: `status ${status}` };
      const gone = status === 500 && errorTypes(body).find((t) => NODE_GONE_TYPES.has(t));
      if (gone) return { retry: again, suspect: false, cause: gone };
      return { retry: false, suspect: false, cause: `status ${status}` };
    }
  }
}

/** Pause before round `round` (1-based) over the nodes: the first goes at once, then 100, 200, 400... up to 1 s. */
export function roundPauseMs(round: number): number {
  return round <= 1 ? 0 : Math.min(1000, 100 * 2 ** (round - 2));
}
