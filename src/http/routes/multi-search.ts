import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { authorize } from '../../auth/authenticator.js';
import { restrictionOf } from '../../auth/principal.js';
import type { Config } from '../../config/config.js';
import { SiftError } from '../../errors.js';
import { MAX_SEARCHES, MAX_WEIGHT, multiSearch, type MultiSearchBody } from '../../query/multi-search.js';
import type { AnalyticsRecorder } from '../../analytics/recorder.js';
import type { SearchService } from '../../service/search-service.js';
import { describeValidation, errorResponses, ErrorResponse } from '../plugins/errors.js';
import { principalLabel } from '../plugins/search-analytics.js';
import { bodyValidator } from '../validation.js';
import { searchBodySchema } from './search.js';

const ENTRY_FIELDS =
  '`index` (required), then any field of a search body (POST /api/indexes/{index}/search); in a federated ' +
  'search also `weight` (default 1, > 0), and no size, page, cursor or sort';

/** One search as the handler checks it: strict, so an unknown field is that entry's error. */
function entrySchema(config: Config) {
  return Type.Object(
    {
      ...searchBodySchema(config).properties,
      index: Type.String(),
      weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: MAX_WEIGHT })),
    },
    { additionalProperties: false },
  );
}

function bodySchema(config: Config) {
  return Type.Object(
    {
      searches: Type.Array(
        Type.Object({}, { additionalProperties: true, description: `One search: ${ENTRY_FIELDS}` }),
        {
          minItems: 1,
          maxItems: MAX_SEARCHES,
          description: `The searches (1-${MAX_SEARCHES}), each checked on its own: a bad one is refused in its place`,
        },
      ),
      federation: Type.Optional(
        Type.Object(
          {
            limit: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: config.MAX_PAGE_SIZE,
                description: 'Hits of the merged list (default 10)',
              }),
            ),
            offset: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: config.MAX_PAGE_SIZE - 1,
                description: `Merged hits to skip (default 0); offset + limit at most ${config.MAX_PAGE_SIZE}`,
              }),
            ),
          },
          {
            additionalProperties: false,
            description:
              'Merge the hits into one ranked list: each search scores divided by its best score, times its weight',
          },
        ),
      ),
    },
    { additionalProperties: false },
  );
}

const EntryError = ErrorResponse.properties.error;
const EntryResult = Type.Object(
  {
    index: Type.Union([Type.String(), Type.Null()], { description: 'The index the search named' }),
    status: Type.Integer({ description: '200, or the status this search alone would have had' }),
    error: Type.Optional(EntryError),
  },
  {
    additionalProperties: true,
    description: 'The search answer (as POST /api/indexes/{index}/search), or its error',
  },
);
const FederatedHit = Type.Object(
  {
    index: Type.String(),
    id: Type.String(),
    score: Type.Number({ description: "weight x (this hit's score / the best score of its search)" }),
    search_score: Type.Union([Type.Number(), Type.Null()]),
    search: Type.Integer({ description: 'Position of the search it comes from' }),
    document: Type.Object({}, { additionalProperties: true }),
    highlights: Type.Optional(Type.Object({}, { additionalProperties: Type.Array(Type.String()) })),
  },
  { additionalProperties: false },
);
const MultiSearchResponse = Type.Object(
  {
    results: Type.Optional(
      Type.Array(EntryResult, { description: 'Without federation: one answer per search, in order' }),
    ),
    hits: Type.Optional(Type.Array(FederatedHit, { description: 'Federated: the merged hits' })),
    total: Type.Optional(
      Type.Integer({ description: "Federated: the sum of the searches' totals (searches may overlap)" }),
    ),
    total_relation: Type.Optional(Type.Union([Type.Literal('eq'), Type.Literal('gte')])),
    limit: Type.Optional(Type.Integer()),
    offset: Type.Optional(Type.Integer()),
    searches: Type.Optional(
      Type.Array(EntryResult, {
        description: 'Federated: per search, its total, facets and took_ms, or its error (no hits)',
      }),
    ),
    partial: Type.Optional(
      Type.Boolean({ description: 'Federated: true when a search failed or was partial' }),
    ),
    took_ms: Type.Number(),
  },
  { additionalProperties: false },
);

/**
 * The checks of a multi-search as the route makes them, for any caller that takes the same body (the CLI): the
 * whole body, then each search on its own (a bad one is refused in its place).
 */
export function multiSearchChecks(config: Config): {
  checkBody: (raw: unknown) => MultiSearchBody;
  checkEntry: (raw: unknown, pos: number) => void;
} {
  const body = bodyValidator(bodySchema(config));
  const entry = bodyValidator(entrySchema(config));
  return {
    checkBody: (raw) => {
      const errors = body(raw);
      if (errors) {
        const { message, field } = describeValidation(errors, 'body');
        throw new SiftError('INVALID_REQUEST', message, field ? { field } : undefined);
      }
      return raw as MultiSearchBody;
    },
    checkEntry: (raw, pos) => {
      const errors = entry(raw);
      if (errors) {
        const { message, field } = describeValidation(errors, 'body');
        throw new SiftError('INVALID_REQUEST', `searches[${pos}]: ${message}`, field ? { field } : undefined);
      }
    },
  };
}

/** Several searches in one request, answered together in order, or merged into one ranked list. */
export async function multiSearchRoutes(
  fastify: FastifyInstance,
  {
    config,
    service,
    recorder = null,
  }: { config: Config; service: SearchService; recorder?: AnalyticsRecorder | null },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { checkEntry } = multiSearchChecks(config);

  app.post(
    '/api/multi-search',
    {
      config: { scope: 'search', appliesKeyFilter: true },
      schema: {
        tags: ['search'],
        summary: 'Several searches in one request, or one federated ranked list',
        description:
          `Runs up to ${MAX_SEARCHES} searches (same or different indexes) side by side. Each is checked and ` +
          "authorized like POST /api/indexes/{index}/search (the key must allow its index; a scoped key's filter " +
          'applies to each) and answers in its place in `results`, with its own error envelope when it fails. With ' +
          "`federation`, the hits are merged into one list ranked by each search's score divided by its best " +
          'score, times its `weight`; each hit names its index. Not served from the response cache.',
        body: bodySchema(config),
        response: { 200: MultiSearchResponse, ...errorResponses },
      },
    },
    async (req) =>
      multiSearch(req.body, {
        checkEntry,
        // Each search is authorized and restricted as POST /api/indexes/{index}/search would be for this key.
        search: async (index, input) => {
          authorize(req.principal, 'search', index);
          const started = performance.now();
          const answer = await service.search(index, input, restrictionOf(req.principal));
          // Each search is recorded for analytics as the same search on its own would be (a failed one is not).
          recorder?.recordSearch({
            at: Date.now(),
            index,
            input,
            answer: answer.total,
            latencyMs: performance.now() - started,
            principal: principalLabel(req.principal),
          });
          return answer;
        },
        maxPageSize: config.MAX_PAGE_SIZE,
      }),
  );
}
