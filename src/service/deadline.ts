import { SiftError } from '../errors.js';

/**
 * Bounds how long a search or suggest waits for the engine: past `timeoutMs` the caller gets 504 ENGINE_TIMEOUT
 * (with Retry-After) instead of holding a connection open. The engine call itself is not cancelled; its late
 * answer is dropped. Writes are not bounded (see engine-stack.ts): a write answered as failed must not be stored
 * afterwards. One promise and one timer per call; the error is only built when the deadline passes.
 */
export function withDeadline<T>(call: Promise<T>, operation: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new SiftError(
            'ENGINE_TIMEOUT',
            `the engine did not answer the ${operation} within ${timeoutMs} ms`,
            {
              timeout_ms: timeoutMs,
              retry_after: 1,
            },
          ),
        ),
      timeoutMs,
    );
    call.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err as Error);
      },
    );
  });
}
