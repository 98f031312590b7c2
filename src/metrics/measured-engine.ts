import type { Engine } from '../engines/engine.js';
import type { SiftMetrics } from './registry.js';

/**
 * Wraps an engine so every call is timed into `sift_engine_request_duration_seconds{engine, operation,
 * outcome}`. A Proxy, so methods added to the Engine interface later are measured without changes here.
 */
export function measuredEngine(engine: Engine, metrics: Pick<SiftMetrics, 'engineDuration'>): Engine {
  return new Proxy(engine, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return async (...args: unknown[]) => {
        const end = metrics.engineDuration.startTimer({ engine: target.name, operation: prop });
        try {
          const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
          end({ outcome: 'ok' });
          return result;
        } catch (err) {
          end({ outcome: 'error' });
          throw err;
        }
      };
    },
  });
}
