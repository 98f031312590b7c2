import { setTimeout as sleep } from 'node:timers/promises';
import { SiftError } from '../errors.js';
import { isVectorElement } from '../schema/document.js';
import type { EmbedderSpec } from '../schema/types.js';

/** Backoff before the n-th retry (0-based): 100 ms doubling, at most 2 s, with jitter so retries spread out. */
const backoffMs = (attempt: number): number => Math.min(100 * 2 ** attempt, 2000) * (0.5 + Math.random() / 2);

/** Requests of one call in flight at once: a large import is not one round trip per batch in a row. */
const CONCURRENT_BATCHES = 4;

/** A failure worth another attempt: the server down, overloaded or slow. */
class Transient extends Error {}

/**
 * What one embedder call needs besides its texts: the field (named in errors), its dimensions, and the instant
 * (performance.now()) by which every batch, retry and backoff must be done: the caller's deadline.
 */
export interface EmbedCall {
  field: string;
  dimensions: number;
  deadlineAt: number;
  /** Where the API key variable is read; the process environment by default. */
  env?: NodeJS.ProcessEnv;
}

const unavailable = (call: EmbedCall, why: string, cause?: unknown) =>
  new SiftError(
    'EMBEDDER_UNAVAILABLE',
    `the embedder of vector field "${call.field}" is unavailable: ${why}`,
    { field: call.field, retry_after: 5 },
    { cause },
  );
const failed = (call: EmbedCall, why: string) =>
  new SiftError('EMBEDDER_FAILED', `the embedder of vector field "${call.field}" failed: ${why}`, {
    field: call.field,
  });

/**
 * Embeds `texts` with an OpenAI-compatible server (`POST {url}/v1/embeddings`, `{"model", "input": [...]}` ->
 * `{"data": [{"embedding": [...], "index": n}]}`), `batch_size` texts per request, up to 4 requests at a time. A 5xx,
 * 429, 408, timeout or network failure is retried `retries` times with backoff; every request is bounded by
 * `timeout_ms` and all of them by the call's deadline. Resolves with one vector per text, in order, each checked
 * for length and finite float32 numbers; any failure rejects (EMBEDDER_UNAVAILABLE or EMBEDDER_FAILED), so a
 * caller never gets part of the vectors.
 */
export async function embedTexts(spec: EmbedderSpec, texts: string[], call: EmbedCall): Promise<number[][]> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (spec.api_key_env !== undefined) {
    const key = (call.env ?? process.env)[spec.api_key_env];
    if (!key) throw failed(call, `the API key variable ${spec.api_key_env} is not set in Sift's environment`);
    headers.authorization = `Bearer ${key}`;
  }
  const starts: number[] = [];
  for (let at = 0; at < texts.length; at += spec.batch_size) starts.push(at);
  const out: number[][][] = new Array(starts.length);
  let next = 0;
  // A few batches in flight at once; the first failure rejects the call (the others' answers are dropped).
  const worker = async () => {
    for (let b = next++; b < starts.length; b = next++)
      out[b] = await withRetries(spec, texts.slice(starts[b]!, starts[b]! + spec.batch_size), headers, call);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_BATCHES, starts.length) }, worker));
  return out.flat();
}

async function withRetries(
  spec: EmbedderSpec,
  texts: string[],
  headers: Record<string, string>,
  call: EmbedCall,
): Promise<number[][]> {
  for (let attempt = 0; ; attempt++) {
    const left = call.deadlineAt - performance.now();
    if (left <= 0) throw unavailable(call, 'the deadline of the request passed');
    try {
      return await request(spec, texts, headers, call, Math.min(spec.timeout_ms, Math.ceil(left)));
    } catch (err) {
      if (!(err instanceof Transient)) throw err;
      const pause = backoffMs(attempt);
      if (attempt >= spec.retries || performance.now() + pause >= call.deadlineAt)
        throw unavailable(
          call,
          `${err.message}${attempt > 0 ? ` (after ${attempt + 1} attempts)` : ''}`,
          err.cause,
        );
      await sleep(pause);
    }
  }
}

async function request(
  spec: EmbedderSpec,
  texts: string[],
  headers: Record<string, string>,
  call: EmbedCall,
  timeoutMs: number,
): Promise<number[][]> {
  let body: unknown;
  try {
    const res = await fetch(`${spec.url}/v1/embeddings`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: spec.model, input: texts }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      await res.body?.cancel();
      throw new Transient(`it answered ${res.status}`);
    }
    if (!res.ok) {
      const said = (await res.text()).slice(0, 200);
      throw failed(call, `it answered ${res.status}${said ? `: ${said}` : ''}`);
    }
    body = await res.json();
  } catch (err) {
    if (err instanceof Transient || err instanceof SiftError) throw err;
    const e = err as Error;
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      throw new Transient(`no answer within ${timeoutMs} ms`, { cause: err });
    if (e instanceof SyntaxError) throw failed(call, 'its answer is not JSON');
    throw new Transient(`cannot reach it (${(e.cause as Error | undefined)?.message ?? e.message})`, {
      cause: err,
    });
  }
  return vectorsOf(body, texts.length, call);
}

/** The vectors of an answer, by their `index`: exactly one per text, each of the field's length. */
function vectorsOf(body: unknown, count: number, call: EmbedCall): number[][] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw failed(call, 'its answer has no "data" list');
  const out: number[][] = new Array(count);
  for (const [i, item] of data.entries()) {
    const { embedding, index = i } = (item ?? {}) as { embedding?: unknown; index?: unknown };
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count || out[index])
      throw failed(call, `its answer has an entry with an unexpected index ${JSON.stringify(index)}`);
    if (!Array.isArray(embedding)) throw failed(call, `entry ${index} has no "embedding" list`);
    if (embedding.length !== call.dimensions)
      throw failed(
        call,
        `it returned vectors of ${embedding.length} numbers; the field holds ${call.dimensions} (check the model)`,
      );
    if (!embedding.every(isVectorElement))
      throw failed(call, `entry ${index} holds something other than finite float32 numbers`);
    out[index] = embedding as number[];
  }
  if (data.length !== count) throw failed(call, `it returned ${data.length} vectors for ${count} texts`);
  return out;
}
