import { SiftError } from '../../errors.js';

/**
 * The one seam between Sift's cluster engine and an official client. Elasticsearch's client returns bodies and
 * OpenSearch's wraps them in `{ body }`, and their errors are different classes; behind this interface both
 * answer `{ status, body }` and fail only with SiftError ENGINE_UNAVAILABLE, so the translation above it is
 * shared.
 */
export interface ClusterRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  path: string;
  body?: unknown;
  /** NDJSON lines for _bulk, already serialised. */
  /** NDJSON lines, as text or already encoded. */
  bulkBody?: string | Buffer;
  querystring?: Record<string, string | number | boolean | undefined>;
}

export interface ClusterResponse<T = unknown> {
  status: number;
  body: T;
}

export interface ClusterTransport {
  /** `elasticsearch` or `opensearch`. */
  readonly product: 'elasticsearch' | 'opensearch';
  /** Any HTTP status is an answer; only a cluster that cannot be reached (or does not answer in time) throws. */
  request<T = unknown>(req: ClusterRequest, opts?: { timeoutMs?: number }): Promise<ClusterResponse<T>>;
  /** Opens a point-in-time over an index (a consistent view for a long scan); its id for `pit` in a search. */
  openPointInTime(index: string, keepAlive: string): Promise<string>;
  closePointInTime(id: string): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterConnection {
  /** One or more node URLs. */
  nodes: string[];
  username?: string;
  password?: string;
  apiKey?: string;
  /** PEM of the certificate authority for https nodes. */
  ca?: string;
  /** Longest a request to the cluster may take, all attempts together. */
  requestTimeoutMs: number;
  /**
   * Longest one attempt on one node may take before another node is tried (only with several nodes; see
   * failover.ts). Absent: the whole request timeout.
   */
  attemptTimeoutMs?: number;
  /** Most keep-alive connections this process keeps to each node. */
  maxConnections?: number;
}

/** Seconds a client should wait before retrying when the cluster is down. */
export const RETRY_AFTER_S = 5;

/** ENGINE_UNAVAILABLE with Retry-After; `err` is what failed underneath, kept as the cause. */
export const unavailable = (product: string, reason: string, err?: unknown): SiftError =>
  new SiftError(
    'ENGINE_UNAVAILABLE',
    `${product} is unavailable: ${reason}`,
    { retry_after: RETRY_AFTER_S },
    err === undefined ? undefined : { cause: err },
  );

interface ClientErrorLike {
  name?: string;
  message?: string;
  meta?: { statusCode?: number; body?: unknown };
}

/** The cluster's answer carried by a client's response error (a 4xx/5xx status), or undefined for any other failure. */
export function answerOf(err: unknown): ClusterResponse | undefined {
  const e = err as ClientErrorLike;
  return e?.name === 'ResponseError' && typeof e.meta?.statusCode === 'number'
    ? { status: e.meta.statusCode, body: e.meta.body }
    : undefined;
}

/**
 * Maps a client's failure to an answer or to ENGINE_UNAVAILABLE: response errors carry a status and a body,
 * everything else (refused connection, timeout, no living node) means the cluster cannot serve.
 */
export function answerOrUnavailable(product: string, err: unknown): ClusterResponse {
  const answer = answerOf(err);
  if (answer) return answer;
  const e = err as ClientErrorLike;
  if (err instanceof SiftError) throw err;
  if (e?.name === 'TimeoutError') {
    throw new SiftError(
      'ENGINE_TIMEOUT',
      `${product} did not answer in time: ${e.message ?? ''}`,
      { retry_after: RETRY_AFTER_S },
      { cause: err },
    );
  }
  throw unavailable(product, `${e?.name ?? 'error'}: ${e?.message ?? String(err)}`, err);
}

/** Builds the query string the clients expect, dropping unset values. */
export function cleanQuery(q: ClusterRequest['querystring']): Record<string, string> | undefined {
  if (!q) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined) out[k] = String(v);
  return out;
}

/** The error part of a cluster's answer. */
interface ErrorBody {
  error?: { type?: string; reason?: string; root_cause?: { type?: string; reason?: string }[] };
}

/** The cluster's error type (`index_not_found_exception`...), if the body is an error. */
export const errorType = (body: unknown) => (body as ErrorBody)?.error?.type;
/** The most specific reason the cluster gave, for messages. */
export const errorReason = (body: unknown) => {
  const e = (body as ErrorBody)?.error;
  return e?.root_cause?.[0]?.reason ?? e?.reason ?? JSON.stringify(body)?.slice(0, 300);
};

/** The request parameters both official clients' `transport.request` take, built from Sift's request. */
export function clientParams(req: ClusterRequest) {
  return {
    method: req.method,
    path: req.path,
    ...(req.body !== undefined ? { body: req.body as Record<string, unknown> } : {}),
    ...(req.bulkBody !== undefined ? { bulkBody: req.bulkBody } : {}),
    querystring: cleanQuery(req.querystring),
  };
}
