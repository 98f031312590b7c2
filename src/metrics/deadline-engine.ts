import type { Engine } from '../engines/engine.js';
import { SiftError } from '../errors.js';

/**
 * Bounds how long a search or suggest waits for the engine: past `timeoutMs` the caller gets 503 ENGINE_TIMEOUT
 * (with Retry-After) instead of holding a connection open. The engine call itself is not cancelled; its late
 * answer is dropped. Writes are not bounded here: a write answered as failed must not be stored afterwards.
 */
export function deadlineEngine(engine: Engine, timeoutMs: number): Engine {
  const bounded =
    (operation: 'search' | 'suggest') =>
    (index: string, request: unknown): Promise<unknown> => {
      const call = (engine[operation] as (i: string, r: unknown) => Promise<unknown>).call(
        engine,
        index,
        request,
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
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
      });
      return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
    };
  const search = bounded('search');
  const suggest = bounded('suggest');
  return new Proxy(engine, {
    get(target, prop, receiver) {
      if (prop === 'search') return search;
      if (prop === 'suggest') return suggest;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
