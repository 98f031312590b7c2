import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_BY_FILTER_LIMIT, MAX_BY_FILTER_LIMIT } from '../../engines/by-filter.js';
import type { SearchService } from '../../service/search-service.js';
import { errorResponses } from '../plugins/errors.js';
import type { OpenApiLink } from '../plugins/openapi.js';
import { IndexParams } from '../schemas.js';

const byFilterFields = {
  filter: Type.Optional(
    Type.Union([
      Type.String({ description: 'Filter expression, e.g. license = "MIT" AND downloads < 10' }),
      Type.Object({}, { additionalProperties: true, description: 'Filter tree, as in a search body' }),
    ]),
  ),
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_BY_FILTER_LIMIT,
      description:
        `The most documents this may change (default ${DEFAULT_BY_FILTER_LIMIT}); more matches and nothing is ` +
        'changed (422 TOO_MANY_MATCHES). Required when there is no filter (every document).',
    }),
  ),
  dry_run: Type.Optional(
    Type.Boolean({ description: 'Only count the matches; change nothing (default false)' }),
  ),
};
const DeleteBody = Type.Object(byFilterFields, { additionalProperties: false });
const UpdateBody = Type.Object(
  {
    ...byFilterFields,
    set: Type.Object(
      {},
      {
        additionalProperties: true,
        description:
          'Fields to set on every match, as a JSON merge patch (RFC 7396): null removes a field. Checked against the schema before anything is written.',
      },
    ),
  },
  { additionalProperties: false },
);

const answerFields = {
  dry_run: Type.Boolean(),
  matched: Type.Integer({ description: 'Documents the filter matched' }),
  limit: Type.Integer({ description: 'The limit this ran under' }),
  over_limit: Type.Optional(
    Type.Boolean({ description: 'Dry runs only: the same request without dry_run would be refused' }),
  ),
};
const DeleteAnswer = Type.Object(
  { ...answerFields, deleted: Type.Integer({ description: 'Documents deleted (0 on a dry run)' }) },
  { additionalProperties: false },
);
const UpdateAnswer = Type.Object(
  { ...answerFields, updated: Type.Integer({ description: 'Documents updated (0 on a dry run)' }) },
  { additionalProperties: false },
);

const COMMON =
  "Durable when answered, visible to the next search, and the index's cached answers are invalidated. " +
  'The embedded engine does it all in one transaction; the clusters collect the matches, then write them in ' +
  'bulk (docs/api.md).';

/**
 * The links to the writes by filter, for an answer about an index that now has documents (its creation, a batch
 * import): the same index, any filter (schemathesis's stateful phase then runs them on indexes it made).
 */
export const BY_FILTER_LINKS: Record<string, OpenApiLink> = {
  DeleteByFilter: {
    operationId: 'deleteByFilter',
    parameters: { index: '$request.path.index' },
    description: 'Delete what a filter matches in this index',
  },
  UpdateByFilter: {
    operationId: 'updateByFilter',
    parameters: { index: '$request.path.index' },
    description: 'Set fields on what a filter matches in this index',
  },
};

/** Deletes and updates of what a filter matches, bounded by a limit, with a dry run that only counts. */
export async function documentsByFilterRoutes(
  fastify: FastifyInstance,
  { service }: { service: SearchService },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['documents'];

  app.post(
    '/api/indexes/:index/documents/delete-by-filter',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'deleteByFilter',
        summary: 'Delete the documents a filter matches',
        description: `Deletes every match, or nothing when they are more than limit. ${COMMON}`,
        params: IndexParams,
        body: DeleteBody,
        response: { 200: DeleteAnswer, ...errorResponses },
      },
    },
    async (req) => service.deleteByFilter(req.params.index, req.body),
  );

  app.post(
    '/api/indexes/:index/documents/update-by-filter',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        operationId: 'updateByFilter',
        summary: 'Set fields on the documents a filter matches',
        description:
          'Applies set (a merge patch) to every match, or to nothing when they are more than limit; a set that ' +
          `breaks the schema is refused first (400 INVALID_DOCUMENT names the field). ${COMMON}`,
        params: IndexParams,
        body: UpdateBody,
        response: { 200: UpdateAnswer, ...errorResponses },
      },
    },
    async (req) => service.updateByFilter(req.params.index, req.body),
  );
}
