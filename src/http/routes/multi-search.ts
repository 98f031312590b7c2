import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { authorize } from '../../auth/authenticator.js';
import { restrictionOf, type Principal } from '../../auth/principal.js';
import type { Config } from '../../config/config.js';
import { isSiftError, SiftError } from '../../errors.js';
import { federate } from '../../query/federation.js';
import type { RawSearchInput } from '../../query/request.js';
import type { SearchResponse as SearchAnswer, SearchService } from '../../service/search-service.js';
import { describeValidation, errorResponses, ErrorResponse } from '../plugins/errors.js';
import { bodyValidator } from '../validation.js';
import { searchBodySchema } from './search.js';

/** Searches one request may hold: each is a full search, so this bounds the work one request asks for. */
export const MAX_SEARCHES = 20;
/** The largest weight of one search in a federated multi-search. */
const MAX_WEIGHT = 100;

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
type Entry = Static<ReturnType<typeof entrySchema>>;

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

type Outcome =
  | { index: string | null; status: 200; answer: SearchAnswer; weight: number }
  | { index: string | null; status: number; error: { code: string; message: string; details?: object } };

/** A search's answer in a federated response: its hits are in the merged list, and it has no next page. */
const withoutHits = ({ hits: _hits, next_cursor: _cursor, ...rest }: SearchAnswer) => rest;

const FEDERATED_REFUSED = ['size', 'page', 'cursor', 'sort'] as const;

/** Several searches in one request, answered together in order, or merged into one ranked list. */
export async function multiSearchRoutes(
  fastify: FastifyInstance,
  { config, service }: { config: Config; service: SearchService },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const checkEntry = bodyValidator(entrySchema(config));

  /** Runs one search as /api/search would for this principal; any refusal is this entry's alone. */
  const runOne = async (
    raw: unknown,
    pos: number,
    principal: Principal,
    window: { offset: number; limit: number } | null,
  ): Promise<Outcome> => {
    const named = (raw as { index?: unknown } | null)?.index;
    const index = typeof named === 'string' ? named : null;
    try {
      const errors = checkEntry(raw);
      if (errors) {
        const { message, field } = describeValidation(errors, 'body');
        throw new SiftError('INVALID_REQUEST', `searches[${pos}]: ${message}`, field ? { field } : undefined);
      }
      const { index: name, weight, ...input } = raw as Entry;
      if (window) {
        const refused = FEDERATED_REFUSED.find((f) => input[f] !== undefined);
        if (refused)
          throw new SiftError(
            'INVALID_REQUEST',
            `searches[${pos}]: "${refused}" does not apply in a federated search: federation.limit and offset page the merged list, ranked by score`,
            { field: refused },
          );
      } else if (weight !== undefined)
        throw new SiftError(
          'INVALID_REQUEST',
          `searches[${pos}]: "weight" only applies to a federated search (give "federation")`,
          { field: 'weight' },
        );
      authorize(principal, 'search', name);
      const search: RawSearchInput = window
        ? { ...input, size: window.offset + window.limit, sort: '_score' }
        : input;
      const answer = await service.search(name, search, restrictionOf(principal));
      return { index, status: 200, answer, weight: weight ?? 1 };
    } catch (err) {
      // A refusal of this search is its answer; anything else (a bug) fails the request as usual.
      if (!isSiftError(err)) throw err;
      return {
        index,
        status: err.status,
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      };
    }
  };

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
    async (req) => {
      const started = performance.now();
      const { searches, federation } = req.body;
      const window = federation ? { offset: federation.offset ?? 0, limit: federation.limit ?? 10 } : null;
      if (window && window.offset + window.limit > config.MAX_PAGE_SIZE)
        throw new SiftError(
          'WINDOW_TOO_LARGE',
          `federation: offset + limit is at most ${config.MAX_PAGE_SIZE}, got ${window.offset + window.limit}`,
          { field: 'federation' },
        );
      const outcomes = await Promise.all(searches.map((raw, pos) => runOne(raw, pos, req.principal, window)));
      const took_ms = () => Math.round((performance.now() - started) * 100) / 100;
      if (!window)
        return {
          results: outcomes.map((o) =>
            'answer' in o ? { index: o.index, status: o.status, ...o.answer } : o,
          ),
          took_ms: took_ms(),
        };
      const answered = outcomes.flatMap((o) => ('answer' in o ? [o] : []));
      const hits = federate(
        outcomes.map((o) => ({
          index: o.index ?? '',
          weight: 'answer' in o ? o.weight : 1,
          hits: 'answer' in o ? o.answer.hits : [],
        })),
        window,
      );
      return {
        hits,
        total: answered.reduce((n, o) => n + o.answer.total, 0),
        total_relation: answered.some((o) => o.answer.total_relation === 'gte')
          ? ('gte' as const)
          : ('eq' as const),
        limit: window.limit,
        offset: window.offset,
        searches: outcomes.map((o) => {
          if (!('answer' in o)) return o;
          return { index: o.index, status: o.status, ...withoutHits(o.answer) };
        }),
        partial: outcomes.some((o) => !('answer' in o) || o.answer.partial),
        took_ms: took_ms(),
      };
    },
  );
}
