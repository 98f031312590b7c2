export { pause } from '../pause.js';

export { requestDeadline, type RequestDeadline } from '../deadline.js';

/**
 * Why a fetch failed, in a few words: `aborted` when the caller gave up, `no answer within N ms` on a timeout, else
 * the system error code (ECONNREFUSED, ECONNRESET) that undici hides in `cause`.
 */
export function describeFetchError(err: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return 'aborted';
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (e?.cause?.code) return e.cause.code;
  return e?.cause?.message ?? e?.message ?? String(err);
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of the results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
