import { setTimeout as sleep } from 'node:timers/promises';
import type { ErrorCode } from '../../errors.js';
import { SiftError } from '../../errors.js';
import type { ClusterTransport } from './transport.js';

/**
 * Bulk writes: operations are cut into requests bounded by count and bytes, sent with bounded concurrency, and
 * retried with exponential backoff (and jitter) when the cluster pushes back (429, 503, 504, timeouts, an
 * unreachable node); items the cluster rejected for good come back as per-item errors. An item is reported stored
 * only from the cluster's own acknowledgement of it.
 */
export interface BulkOp {
  action: 'index' | 'create' | 'delete';
  index: string;
  id: string;
  source?: Record<string, unknown>;
  /** External versioning: the write applies only over an older version (reindex replays). */
  version?: number;
}

export interface BulkOutcome {
  ok: boolean;
  status: number;
  /** The physical index that took the write. */
  index?: string;
  created?: boolean;
  /** Absent on delete of a missing document. */
  found?: boolean;
  seqNo?: number;
  error?: { code: ErrorCode; message: string; type?: string };
}

export interface BulkOptions {
  maxDocs: number;
  maxBytes: number;
  concurrency: number;
  retries: number;
  /** `wait_for`: acknowledged writes are visible to search (read-your-writes). */
  refresh: 'wait_for' | 'true' | 'false';
  timeoutMs: number;
  /** Base backoff; attempt n waits about base * 2^n. */
  backoffMs?: number;
}

interface Line {
  pos: number;
  text: string;
  bytes: number;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

function serialise(op: BulkOp): string {
  const meta: Record<string, unknown> = { _index: op.index, _id: op.id };
  if (op.version !== undefined) {
    meta.version = op.version;
    meta.version_type = 'external';
  }
  const head = JSON.stringify({ [op.action]: meta });
  return op.action === 'delete' ? `${head}\n` : `${head}\n${JSON.stringify(op.source)}\n`;
}

/** Splits lines into batches of at most maxDocs operations and (unless one line alone is bigger) maxBytes. */
export function batches(lines: Line[], maxDocs: number, maxBytes: number): Line[][] {
  const out: Line[][] = [];
  let current: Line[] = [];
  let bytes = 0;
  for (const line of lines) {
    if (current.length && (current.length >= maxDocs || bytes + line.bytes > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(line);
    bytes += line.bytes;
  }
  if (current.length) out.push(current);
  return out;
}

function itemCode(status: number, type: string | undefined): ErrorCode {
  if (status === 404 && type === 'index_not_found_exception') return 'INDEX_NOT_FOUND';
  // A write block (an operator's, or the disk flood-stage watermark) is the cluster refusing writes, not the data.
  if (type === 'cluster_block_exception') return 'ENGINE_UNAVAILABLE';
  if (RETRYABLE_STATUS.has(status)) return 'ENGINE_UNAVAILABLE';
  return 'DOCUMENT_REJECTED';
}

interface BulkItemBody {
  status: number;
  _index?: string;
  result?: string;
  _seq_no?: number;
  error?: { type?: string; reason?: string; caused_by?: { reason?: string } };
}

const BULK_FILTER =
  'errors,error,status,items.*.status,items.*.result,items.*._index,items.*._seq_no,items.*.error';

export async function runBulk(
  transport: ClusterTransport,
  ops: BulkOp[],
  opts: BulkOptions,
): Promise<BulkOutcome[]> {
  const outcomes: BulkOutcome[] = new Array(ops.length);
  const lines = ops.map((op, pos) => {
    const text = serialise(op);
    return { pos, text, bytes: Buffer.byteLength(text) };
  });
  const queue = batches(lines, opts.maxDocs, opts.maxBytes);
  let lastFailure: SiftError | null = null;
  const backoff = opts.backoffMs ?? 100;

  const send = async (batch: Line[]): Promise<void> => {
    let pending = batch;
    for (let attempt = 0; pending.length; attempt++) {
      let retry: Line[] = [];
      try {
        const res = await transport.request<{ items?: Record<string, BulkItemBody>[]; error?: unknown }>(
          {
            method: 'POST',
            path: '/_bulk',
            bulkBody: pending.map((l) => l.text).join(''),
            querystring: {
              refresh: opts.refresh === 'false' ? undefined : opts.refresh,
              // Only what the outcomes are read from: the full per-item answer (ids, versions, shard counts) is
              // most of the response, for the cluster to write and for us to parse.
              filter_path: BULK_FILTER,
            },
          },
          { timeoutMs: opts.timeoutMs },
        );
        if (RETRYABLE_STATUS.has(res.status)) {
          retry = pending;
          lastFailure = new SiftError('ENGINE_UNAVAILABLE', `bulk request answered ${res.status}`, {
            retry_after: 5,
          });
        } else if (res.status >= 300 || !res.body.items) {
          throw new Error(
            `bulk request failed with ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`,
          );
        } else {
          res.body.items.forEach((wrapped, i) => {
            const line = pending[i]!;
            const item = Object.values(wrapped)[0]!;
            if (item.status < 300 || (item.status === 404 && item.result === 'not_found')) {
              outcomes[line.pos] = {
                ok: true,
                status: item.status,
                index: item._index,
                created: item.result === 'created',
                found: item.result !== 'not_found',
                seqNo: item._seq_no,
              };
            } else if (RETRYABLE_STATUS.has(item.status)) {
              retry.push(line);
            } else {
              const reason = item.error?.reason ?? 'rejected';
              const cause = item.error?.caused_by?.reason;
              outcomes[line.pos] = {
                ok: false,
                status: item.status,
                index: item._index,
                error: {
                  code: itemCode(item.status, item.error?.type),
                  message: cause ? `${reason}: ${cause}` : reason,
                  ...(item.error?.type ? { type: item.error.type } : {}),
                },
              };
            }
          });
        }
      } catch (err) {
        if (!(err instanceof SiftError) || err.code !== 'ENGINE_UNAVAILABLE') throw err;
        lastFailure = err;
        retry = pending;
      }
      if (!retry.length) return;
      if (attempt >= opts.retries) {
        for (const line of retry) {
          outcomes[line.pos] = {
            ok: false,
            status: 503,
            error: {
              code: 'ENGINE_UNAVAILABLE',
              message: `the cluster did not take the write after ${opts.retries + 1} attempts${
                lastFailure ? `: ${lastFailure.message}` : ''
              }`,
            },
          };
        }
        return;
      }
      const wait = backoff * 2 ** attempt;
      await sleep(wait / 2 + Math.random() * wait);
      pending = retry;
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < queue.length) await send(queue[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, queue.length)) }, worker));
  // Nothing at all was taken and the cluster is unreachable: one clear 503 rather than N item errors.
  if (ops.length && outcomes.every((o) => !o.ok && o.error?.code === 'ENGINE_UNAVAILABLE') && lastFailure) {
    throw lastFailure;
  }
  return outcomes;
}
