import { setTimeout as sleep } from 'node:timers/promises';
import type { ErrorCode } from '../../errors.js';
import { SiftError } from '../../errors.js';
import { IdGate } from './id-gate.js';
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
  /**
   * The stored document. A function is called once, when the operation's request is built (see opSource): a large
   * write is then translated batch by batch while the requests before it are in flight, instead of all of it first.
   */
  source?: Record<string, unknown> | (() => Record<string, unknown>);
  /** The operation's bulk lines, encoded ahead of its request (encodeOp); encoded when the request is built if absent. */
  encoded?: Buffer;
  /** External versioning: the write applies only over an older version (reindex replays). */
  version?: number;
  /** Optimistic concurrency (a partial update): the write applies only over this sequence number and term. */
  ifSeqNo?: number;
  ifPrimaryTerm?: number;
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

/**
 * One operation's lines, encoded once: the byte bound reads the length, the request body is the lines copied
 * together. Kept as strings, each line was measured (a UTF-8 pass), then the joined body measured and encoded
 * again by the client: three passes over every byte instead of one.
 */
interface Line {
  pos: number;
  bytes: Buffer;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** The operation's document, translated now if it was deferred (and kept, for a reindex's replay to read). */
export function opSource(op: BulkOp): Record<string, unknown> | undefined {
  if (typeof op.source === 'function') op.source = op.source();
  return op.source;
}

/** The operation's bulk lines as the request will carry them. */
export function encodeOp(op: BulkOp): Buffer {
  return Buffer.from(serialise(op));
}

function serialise(op: BulkOp): string {
  const meta: Record<string, unknown> = { _index: op.index, _id: op.id };
  if (op.version !== undefined) {
    meta.version = op.version;
    meta.version_type = 'external';
  }
  if (op.ifSeqNo !== undefined && op.ifPrimaryTerm !== undefined) {
    meta.if_seq_no = op.ifSeqNo;
    meta.if_primary_term = op.ifPrimaryTerm;
  }
  const head = JSON.stringify({ [op.action]: meta });
  return op.action === 'delete' ? `${head}\n` : `${head}\n${JSON.stringify(opSource(op))}\n`;
}

/**
 * Cuts a stream of lines into batches of at most maxDocs lines and (unless one line alone is bigger) maxBytes;
 * each call returns the next batch, or null at the end. Lines are only taken (serialised) when their batch is
 * asked for, so the first request goes out before the rest is serialised.
 */
function cutter(next: () => Line | undefined, maxDocs: number, maxBytes: number): () => Line[] | null {
  let carry: Line | undefined;
  return () => {
    const batch: Line[] = [];
    let bytes = 0;
    while (batch.length < maxDocs) {
      const line = carry ?? next();
      carry = undefined;
      if (!line) break;
      if (batch.length && bytes + line.bytes.length > maxBytes) {
        carry = line;
        break;
      }
      batch.push(line);
      bytes += line.bytes.length;
    }
    return batch.length ? batch : null;
  };
}

/** Splits lines into batches of at most maxDocs operations and (unless one line alone is bigger) maxBytes. */
export function batches(lines: Line[], maxDocs: number, maxBytes: number): Line[][] {
  let at = 0;
  const cut = cutter(() => lines[at++], maxDocs, maxBytes);
  const out: Line[][] = [];
  for (let batch = cut(); batch; batch = cut()) out.push(batch);
  return out;
}

/**
 * Documents per request for a write of `total`: at most maxDocs, spread evenly over a number of requests that is a
 * multiple of the concurrency, so the last wave keeps every slot busy instead of one request running alone
 * (5,000 documents at 1,000 and 2 in flight: 6 requests of 834, three full waves, not 2 + 2 + 1).
 */
export function docsPerRequest(total: number, maxDocs: number, concurrency: number): number {
  if (total <= maxDocs) return Math.max(1, total);
  const requests = Math.ceil(Math.ceil(total / maxDocs) / concurrency) * concurrency;
  return Math.ceil(total / requests);
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
  let at = 0;
  const nextBatch = cutter(
    () => {
      if (at >= ops.length) return undefined;
      const pos = at++;
      const op = ops[pos]!;
      return { pos, bytes: op.encoded ?? encodeOp(op) };
    },
    docsPerRequest(ops.length, opts.maxDocs, opts.concurrency),
    opts.maxBytes,
  );
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
            bulkBody: Buffer.concat(pending.map((l) => l.bytes)),
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

  // Each slot serialises its next batch when it is free: the other slots' requests are in flight meanwhile. A batch
  // that writes an id an earlier one in flight also writes waits for it, so the last occurrence wins.
  const gate = new IdGate();
  const worker = async () => {
    for (let batch = nextBatch(); batch; batch = nextBatch()) {
      const release = await gate.enter(new Set(batch.map((line) => ops[line.pos]!.id)));
      try {
        await send(batch);
      } finally {
        release();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  // Nothing at all was taken and the cluster is unreachable: one clear 503 rather than N item errors.
  if (ops.length && outcomes.every((o) => !o.ok && o.error?.code === 'ENGINE_UNAVAILABLE') && lastFailure) {
    throw lastFailure;
  }
  return outcomes;
}
