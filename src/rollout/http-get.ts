import { request } from 'node:http';

export interface HttpCheck {
  readonly status: number | null;
  readonly ms: number;
  readonly error?: string;
}

/**
 * One GET on a fresh connection (no keep-alive pool: a pooled socket to an instance that is shutting down would
 * make the next probe fail for the wrong reason). Never throws: refusals, timeouts and resets are results, and so
 * is `signal` aborting (error `aborted`, at once: an operator's abort must not wait out the timeout).
 */
export function httpGet(
  url: string,
  timeoutMs: number,
  headers: Readonly<Record<string, string>> = {},
  signal?: AbortSignal,
): Promise<HttpCheck> {
  const started = performance.now();
  const ms = () => Math.round((performance.now() - started) * 10) / 10;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: HttpCheck) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      resolve(r);
    };
    const abort = () => {
      done({ status: null, ms: ms(), error: 'aborted' });
      req.destroy();
    };
    const req = request(
      url,
      { method: 'GET', agent: false, headers: { ...headers, connection: 'close' } },
      (res) => {
        res.resume();
        res.once('end', () => done({ status: res.statusCode ?? null, ms: ms() }));
        res.once('error', (err) => done({ status: res.statusCode ?? null, ms: ms(), error: err.message }));
      },
    );
    const timer = setTimeout(() => {
      done({ status: null, ms: ms(), error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.once('error', (err: NodeJS.ErrnoException) =>
      done({ status: null, ms: ms(), error: err.code ?? err.message }),
    );
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort, { once: true });
    req.end();
  });
}
