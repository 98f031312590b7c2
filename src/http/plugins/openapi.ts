import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/config.js';

/**
 * Route schema key of an operation whose body may be left out (Fastify validates a missing body like any other,
 * so the route turns "no body" into a value first). @fastify/swagger copies `x-` keys onto the operation and
 * marks every body required; the document is corrected here and the key removed.
 */
export const OPTIONAL_BODY = 'x-sift-optional-body';

/**
 * Route schema key of the OpenAPI links of an operation's answers (status -> link name -> link), which tell a
 * client, and schemathesis's stateful phase, which operations can follow an answer and with which parameters.
 * @fastify/swagger has no place for links; it copies `x-` keys onto the operation, and the document moves them into
 * the answers here, after checking that each names an operation of the document.
 */
export const LINKS = 'x-sift-links';

export interface OpenApiLink {
  operationId: string;
  /** Parameter name -> runtime expression, e.g. `$request.path.index`. */
  parameters: Record<string, string>;
  description: string;
}
export type OperationLinks = Record<string, Record<string, OpenApiLink>>;

type Operation = {
  requestBody?: { required?: boolean };
  responses?: Record<string, Record<string, unknown>>;
  operationId?: string;
  [key: string]: unknown;
};

function markOptionalBodies(document: { paths?: Record<string, Record<string, Operation>> }): void {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      if (typeof operation !== 'object' || operation === null || !(OPTIONAL_BODY in operation)) continue;
      if (operation[OPTIONAL_BODY] === true && operation.requestBody) operation.requestBody.required = false;
      delete operation[OPTIONAL_BODY];
    }
  }
}

function moveLinks(document: { paths?: Record<string, Record<string, Operation>> }): void {
  const operations = Object.values(document.paths ?? {}).flatMap((item) => Object.values(item));
  const ids = new Set(operations.map((o) => o.operationId).filter(Boolean));
  for (const operation of operations) {
    if (typeof operation !== 'object' || operation === null || !(LINKS in operation)) continue;
    for (const [status, links] of Object.entries(operation[LINKS] as OperationLinks)) {
      const answer = operation.responses?.[status];
      if (!answer) throw new Error(`OpenAPI links of an answer ${status} that the operation does not have`);
      for (const link of Object.values(links))
        if (!ids.has(link.operationId)) throw new Error(`OpenAPI link to no operation: ${link.operationId}`);
      answer.links = links;
    }
    delete operation[LINKS];
  }
}

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
        { name: 'keys', description: 'API keys and scoped search keys (admin)' },
        {
          name: 'analytics',
          description: 'Clicks and conversions in; top queries, no results, CTR, latency out',
        },
      ],
    },
    transformObject: (documents) => {
      if (!('openapiObject' in documents)) return documents.swaggerObject;
      markOptionalBodies(documents.openapiObject as Parameters<typeof markOptionalBodies>[0]);
      moveLinks(documents.openapiObject as Parameters<typeof moveLinks>[0]);
      return documents.openapiObject;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
