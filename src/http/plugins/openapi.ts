import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/config.js';

/**
 * The OpenAPI 3.1 document, generated from the route schemas, at `/openapi.json`, and the interactive page at
 * `/docs`. Must be registered before the routes so it sees them.
 */
export async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sift',
        version: config.VERSION,
        description:
          'Search API over an embedded SQLite FTS5 engine. Every error is `{"error": {"code", "message", "details"?}}`; ' +
          'codes are listed in docs/errors.md. Requests carry an `x-request-id` (echoed on every response).',
      },
      tags: [
        { name: 'search', description: 'Full-text search, filters, facets, suggestions' },
        { name: 'indexes', description: 'Create, inspect and drop indexes' },
        { name: 'documents', description: 'Store, fetch and remove documents; batch import' },
        { name: 'health', description: 'Liveness, readiness and a status summary' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
