import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { SearchService } from '../../service/search-service.js';
import { errorResponses } from '../plugins/errors.js';
import { OPTIONAL_BODY } from '../plugins/openapi.js';
import { IndexParams, IndexSchemaBody } from '../schemas.js';

const ReindexBody = Type.Union([
  Type.Object(
    {
      schema: Type.Optional(
        IndexSchemaBody(
          'Schema of the new version; any change is allowed, field type changes included. Omitted: the current schema.',
        ),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

const ReindexResultSchema = Type.Object(
  {
    index: Type.String(),
    from_version: Type.Integer({ description: 'The version the name pointed at before' }),
    to_version: Type.Integer({ description: 'The version it points at now' }),
    documents: Type.Integer({ description: 'Documents in the version the name points at now' }),
    took_ms: Type.Integer(),
  },
  { additionalProperties: false },
);

/**
 * Zero-downtime reindex and rollback. Both answer when the switch is done (searches and writes go on meanwhile);
 * a large index takes a while, so `sift reindex` with its progress bar is the better tool there.
 */
export async function reindexRoutes(
  fastify: FastifyInstance,
  { service }: { service: SearchService },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['indexes'];

  app.post(
    '/api/indexes/:index/reindex',
    {
      schema: {
        tags,
        summary: 'Rebuild an index as a new version and switch to it',
        description:
          'Builds version N+1 (with `schema` when given), copies every document while writes go on, verifies the ' +
          'counts and switches atomically. Version N is kept for rollback. 409 REINDEX_IN_PROGRESS when one is ' +
          'already running; 422 REINDEX_INCOMPATIBLE, with nothing switched, when a document does not fit the new ' +
          'schema.',
        params: IndexParams,
        body: ReindexBody,
        response: { 200: ReindexResultSchema, ...errorResponses },
        [OPTIONAL_BODY]: true,
      },
      config: { scope: 'admin', indexSchemaAt: '/schema' },
      // No body at all is a reindex with the current schema, as `null` is.
      preValidation: async (req) => {
        if (req.body === undefined) req.body = null;
      },
    },
    async (req) => service.reindex(req.params.index, req.body?.schema),
  );

  app.post(
    '/api/indexes/:index/reindex/rollback',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Switch an index back to the version its last reindex replaced',
        description:
          'Writes made since the switch are carried over first, so none is lost; the version rolled back from ' +
          'is kept, and a second rollback returns to it. 409 NO_PREVIOUS_VERSION when the index was never ' +
          'reindexed.',
        params: IndexParams,
        response: { 200: ReindexResultSchema, ...errorResponses },
      },
    },
    async (req) => service.rollbackReindex(req.params.index),
  );
}
