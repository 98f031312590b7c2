import client from 'prom-client';

/**
 * Sift's Prometheus metrics, created once per process on prom-client's global registry (several apps built in
 * one process — tests — share them; counters only ever go up, so readers compare deltas). In a worker pool
 * each worker keeps its own and the primary sums them (see worker-metrics.ts).
 */
export interface SiftMetrics {
  httpRequests: client.Counter<'route' | 'method' | 'status'>;
  httpDuration: client.Histogram<'route' | 'method' | 'status'>;
  httpInFlight: client.Gauge;
  engineDuration: client.Histogram<'engine' | 'operation' | 'outcome'>;
  cacheRequests: client.Counter<'operation' | 'result'>;
  cacheErrors: client.Counter<'store'>;
  cacheFrontDoor: client.Counter<'operation'>;
  rateLimited: client.Counter<'scope'>;
  engineUp: client.Gauge<'engine'>;
  analyticsRecorded: client.Counter<'kind'>;
  analyticsDropped: client.Counter<'kind' | 'reason'>;
}

let metrics: SiftMetrics | undefined;
// Several engines may be probed in one process (tests); the gauge reports each by name.
const engineProbes = new Map<string, () => Promise<boolean>>();

/** Registers how `engine_up` asks an engine whether it is healthy; the last registration per name wins. */
export function setEngineProbe(engine: string, probe: () => Promise<boolean>): void {
  engineProbes.set(engine, probe);
}

export function siftMetrics(): SiftMetrics {
  if (metrics) return metrics;
  const register = client.register;
  client.collectDefaultMetrics({ register });
  metrics = {
    httpRequests: new client.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status',
      labelNames: ['route', 'method', 'status'],
    }),
    httpDuration: new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    httpInFlight: new client.Gauge({
      name: 'http_requests_in_flight',
      help: 'Requests received and not yet answered',
    }),
    engineDuration: new client.Histogram({
      name: 'sift_engine_request_duration_seconds',
      help: 'Engine calls by engine, operation and outcome (ok or error); _count counts the calls',
      labelNames: ['engine', 'operation', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    cacheRequests: new client.Counter({
      name: 'sift_cache_requests_total',
      help: 'Result cache lookups by operation (search, suggest) and result (hit, miss, bypass when the store failed)',
      labelNames: ['operation', 'result'],
    }),
    cacheFrontDoor: new client.Counter({
      name: 'sift_cache_front_door_hits_total',
      help: 'Result cache hits answered before the framework (also counted in sift_cache_requests_total), by operation',
      labelNames: ['operation'],
    }),
    cacheErrors: new client.Counter({
      name: 'sift_cache_errors_total',
      help: 'Cache store commands that failed or timed out (the request went on uncached)',
      labelNames: ['store'],
    }),
    rateLimited: new client.Counter({
      name: 'sift_rate_limited_total',
      help: 'Requests refused with 429 RATE_LIMITED, by route scope',
      labelNames: ['scope'],
    }),
    engineUp: new client.Gauge({
      name: 'sift_engine_up',
      help: '1 when the engine answers its health check, else 0',
      labelNames: ['engine'],
      // Summed over workers a healthy engine would read N; the worst worker is what matters.
      aggregator: 'min',
      async collect() {
        await Promise.all(
          [...engineProbes].map(async ([engine, probe]) => {
            const ok = await probe().catch(() => false);
            this.set({ engine }, ok ? 1 : 0);
          }),
        );
      },
    }),
    analyticsRecorded: new client.Counter({
      name: 'sift_analytics_recorded_total',
      help: 'Searches and events (kind) written to the analytics store',
      labelNames: ['kind'],
    }),
    analyticsDropped: new client.Counter({
      name: 'sift_analytics_dropped_total',
      help: 'Searches and events (kind) not recorded: the buffer was full, or the store refused the flush (reason)',
      labelNames: ['kind', 'reason'],
    }),
  };
  return metrics;
}

export const metricsContentType = client.register.contentType;

/** This process's metrics in the Prometheus text format. */
export const localMetrics = (): Promise<string> => client.register.metrics();
