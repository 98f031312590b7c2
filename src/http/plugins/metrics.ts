import type { FastifyInstance, FastifyRequest } from 'fastify';
import { siftMetrics } from '../../metrics/registry.js';

const started = new WeakMap<FastifyRequest, bigint>();

/**
 * Request count, duration and in-flight gauge for every request, labelled by the route pattern (never the raw
 * URL: ids and queries would make a series per request). Requests no route matched share one label.
 */
export function registerHttpMetrics(app: FastifyInstance): void {
  const metrics = siftMetrics();
  const finish = (request: FastifyRequest, status: string) => {
    const start = started.get(request);
    if (start === undefined) return;
    started.delete(request);
    metrics.httpInFlight.dec();
    const labels = { route: request.routeOptions.url ?? '(unmatched)', method: request.method, status };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
  };
  app.addHook('onRequest', async (request) => {
    started.set(request, process.hrtime.bigint());
    metrics.httpInFlight.inc();
  });
  app.addHook('onResponse', async (request, reply) => finish(request, String(reply.statusCode)));
  // A client that hung up gets no response; it still leaves the in-flight gauge.
  app.addHook('onRequestAbort', async (request) => finish(request, 'aborted'));
}
