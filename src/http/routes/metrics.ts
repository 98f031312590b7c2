import type { FastifyInstance } from 'fastify';
import { metricsContentType } from '../../metrics/registry.js';
import { metricsText } from '../../metrics/worker-metrics.js';

/** Prometheus scrape endpoint: the sum over all workers of a worker pool. Not part of the documented API. */
export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const { text, scope } = await metricsText();
    reply.header('x-metrics-scope', scope);
    return reply.type(metricsContentType).send(text);
  });
}
