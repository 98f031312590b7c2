import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { restrictionOf } from '../../auth/principal.js';
import type { Config } from '../../config/config.js';
import {
  MAX_FACET_PREFIX,
  MAX_TRACK_TOTAL,
  TRACK_TOTAL_PATTERN,
  type RawSearchInput,
} from '../../query/request.js';
import type { SearchService } from '../../service/search-service.js';
import { errorResponses } from '../plugins/errors.js';
import { OPTIONAL_BODY } from '../plugins/openapi.js';
import { MAX_DISTINCT_LIMIT } from '../../query/distinct.js';
import { FIELD_NAME } from '../../schema/validate.js';
import { MAX_DIMENSIONS } from '../../schema/types.js';
import { MAX_HYBRID_CANDIDATES, MAX_RANK_CONSTANT } from '../../query/vector-request.js';
import { IndexParams, SearchFieldsBody, SearchFieldsText, UrlText } from '../schemas.js';

const Open = (description?: string) =>
  Type.Object({}, { additionalProperties: true, ...(description ? { description } : {}) });
const StringOrList = (description: string) =>
  Type.Union([Type.String(), Type.Array(Type.String())], { description });

/** Longest highlight tag (the search request refuses longer ones too). */
const MAX_TAG = 64;
const TRACK_TOTAL =
  'true for an exact total, or N: exact up to N, then N with total_relation "gte" (default 1000)';

const TYPO = 'Typo tolerance for this search (default true; the index settings decide how many and where)';
const DISTINCT =
  'Group hits by this keyword field: a page of `size` groups, ordered by their best hit; total counts groups, facets count documents; page with page, not cursor';
const DistinctLimit = () =>
  Type.Integer({
    minimum: 1,
    maximum: MAX_DISTINCT_LIMIT,
    description: `Hits per group with distinct (default 1, max ${MAX_DISTINCT_LIMIT})`,
  });

/** GET parameters: all strings except size and page, nothing undeclared. */
export function searchQuerySchema(config: Config) {
  return Type.Object(
    {
      q: Type.Optional(
        UrlText({
          description:
            'Full-text query: terms, "quoted phrases", -excluded; the last term also matches as a prefix. Empty matches all.',
        }),
      ),
      filter: Type.Optional(
        UrlText({ description: 'Filter expression, e.g. scope = "@aws-sdk" AND downloads >= 1000' }),
      ),
      facets: Type.Optional(UrlText({ description: 'Comma-separated facet fields' })),
      sort: Type.Optional(
        UrlText({ description: 'Comma-separated: _score or fields, -field for descending' }),
      ),
      size: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: config.MAX_PAGE_SIZE,
          description: `Page size (default 10, max ${config.MAX_PAGE_SIZE})`,
        }),
      ),
      page: Type.Optional(
        Type.Integer({
          minimum: 1,
          description: `1-based page; page x size at most ${config.MAX_RESULT_WINDOW}`,
        }),
      ),
      cursor: Type.Optional(UrlText({ description: 'next_cursor from the previous page' })),
      highlight: Type.Optional(UrlText({ description: 'Comma-separated fields to highlight' })),
      highlight_pre_tag: Type.Optional(UrlText({ description: 'Default <mark>', maxLength: MAX_TAG })),
      highlight_post_tag: Type.Optional(UrlText({ description: 'Default </mark>', maxLength: MAX_TAG })),
      fields: Type.Optional(UrlText({ description: 'Comma-separated fields to return' })),
      track_total: Type.Optional(
        Type.String({ description: TRACK_TOTAL, pattern: TRACK_TOTAL_PATTERN.source }),
      ),
      typo: Type.Optional(Type.Boolean({ description: TYPO })),
      search_fields: Type.Optional(SearchFieldsText()),
      distinct: Type.Optional(Type.String({ pattern: FIELD_NAME.source, description: DISTINCT })),
      distinct_limit: Type.Optional(DistinctLimit()),
    },
    { additionalProperties: false },
  );
}

const FacetRange = Type.Object(
  { key: Type.Optional(Type.String()), from: Type.Optional(Type.Number()), to: Type.Optional(Type.Number()) },
  { additionalProperties: false },
);
const facetOptions = {
  size: Type.Optional(Type.Integer({ minimum: 1, description: 'Buckets to return (default 10)' })),
  ranges: Type.Optional(Type.Array(FacetRange, { description: 'Numeric or date range buckets' })),
  stats: Type.Optional(Type.Boolean({ description: 'min, max, avg, sum, count of a numeric field' })),
  prefix: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_FACET_PREFIX,
      description:
        'Facet value search: only the values starting with this text (ASCII letters in either case), counted over the same matches',
    }),
  ),
};
const FacetOptions = Type.Object(facetOptions, { additionalProperties: false });
const FacetSpec = Type.Object({ field: Type.String(), ...facetOptions }, { additionalProperties: false });

/** POST body: the GET fields, with structured forms allowed. */
export function searchBodySchema(config: Config) {
  return Type.Object(
    {
      q: Type.Optional(Type.String()),
      filter: Type.Optional(
        Type.Union([
          Type.String(),
          Open(
            'Filter tree: {"and": [...]}, {"or": [...]}, {"not": ...}, {"term": {...}}, {"terms": {...}}, {"range": {...}}, {"exists": "field"}',
          ),
        ]),
      ),
      facets: Type.Optional(
        Type.Union([
          Type.String(),
          Type.Array(Type.Union([Type.String(), FacetSpec])),
          Type.Object({}, { additionalProperties: FacetOptions, description: 'Map of field -> options' }),
        ]),
      ),
      sort: Type.Optional(StringOrList('_score or fields, -field for descending')),
      size: Type.Optional(Type.Integer({ minimum: 0, maximum: config.MAX_PAGE_SIZE })),
      page: Type.Optional(Type.Integer({ minimum: 1 })),
      cursor: Type.Optional(Type.String()),
      highlight: Type.Optional(
        Type.Union([
          Type.String(),
          Type.Array(Type.String()),
          Type.Object(
            {
              fields: Type.Optional(Type.Array(Type.String())),
              pre_tag: Type.Optional(Type.String({ maxLength: MAX_TAG })),
              post_tag: Type.Optional(Type.String({ maxLength: MAX_TAG })),
            },
            { additionalProperties: false },
          ),
        ]),
      ),
      highlight_pre_tag: Type.Optional(Type.String({ maxLength: MAX_TAG })),
      highlight_post_tag: Type.Optional(Type.String({ maxLength: MAX_TAG })),
      fields: Type.Optional(StringOrList('Fields to return')),
      track_total: Type.Optional(
        Type.Union([Type.Literal(true), Type.Integer({ minimum: 1, maximum: MAX_TRACK_TOTAL })], {
          description: TRACK_TOTAL,
        }),
      ),
      typo: Type.Optional(Type.Boolean({ description: TYPO })),
      search_fields: Type.Optional(SearchFieldsBody),
      distinct: Type.Optional(Type.String({ pattern: FIELD_NAME.source, description: DISTINCT })),
      distinct_limit: Type.Optional(DistinctLimit()),
      ...vectorBody(config),
    },
    { additionalProperties: false },
  );
}

/** The kNN and hybrid part of a POST search (src/query/vector-request.ts checks it against the index schema). */
function vectorBody(config: Config) {
  return {
    vector: Type.Optional(
      Type.Array(Type.Number(), {
        minItems: 1,
        maxItems: MAX_DIMENSIONS,
        description:
          'kNN search: the query vector, as many numbers as the vector field has dimensions; with q, a hybrid search',
      }),
    ),
    k: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: config.MAX_PAGE_SIZE,
        description: `Nearest documents to find (default: size; max ${config.MAX_PAGE_SIZE}); size and page or cursor page through them. Needs vector, or hybrid with q on a vector field that has an embedder`,
      }),
    ),
    vector_field: Type.Optional(
      Type.String({
        pattern: FIELD_NAME.source,
        description:
          'The vector field to search; optional when the index has one. Needs vector, or hybrid with q on a field that has an embedder',
      }),
    ),
    hybrid: Type.Optional(
      Type.Object(
        {
          fusion: Type.Optional(
            Type.Union([Type.Literal('rrf'), Type.Literal('weighted')], {
              description: 'How text and vector rankings are fused (default weighted)',
            }),
          ),
          semantic_ratio: Type.Optional(
            Type.Number({
              minimum: 0,
              maximum: 1,
              description: 'weighted: 0 text only, 1 vector only (default 0.5)',
            }),
          ),
          rank_constant: Type.Optional(
            Type.Integer({ minimum: 1, maximum: MAX_RANK_CONSTANT, description: 'rrf: default 60' }),
          ),
          candidates: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: MAX_HYBRID_CANDIDATES,
              description: 'Candidates from each side before fusion (default 100)',
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Hybrid search: how to fuse. Needs a non-blank q, and vector unless the vector field has an embedder to compute it from q',
        },
      ),
    ),
  };
}

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

const FacetResult = Type.Object(
  {
    buckets: Type.Optional(
      Type.Array(Type.Object({ value: Scalar, count: Type.Integer() }, { additionalProperties: true })),
    ),
    ranges: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Type.String(),
            from: Type.Optional(Type.Number()),
            to: Type.Optional(Type.Number()),
            count: Type.Integer(),
          },
          { additionalProperties: true },
        ),
      ),
    ),
    stats: Type.Optional(
      Type.Object(
        {
          min: NullableNumber,
          max: NullableNumber,
          avg: NullableNumber,
          sum: Type.Optional(NullableNumber),
          count: Type.Integer(),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);

export const SearchResponse = Type.Object(
  {
    hits: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          score: Type.Union([Type.Number(), Type.Null()], {
            description: 'Relevance; null when sorted without _score',
          }),
          document: Open('The returned fields of the document'),
          highlights: Type.Optional(
            Type.Object(
              {},
              { additionalProperties: Type.Array(Type.String()), description: 'field -> snippets' },
            ),
          ),
        },
        { additionalProperties: true },
      ),
    ),
    total: Type.Integer(),
    total_relation: Type.Union([Type.Literal('eq'), Type.Literal('gte')]),
    facets: Type.Object(
      {},
      { additionalProperties: FacetResult, description: 'field -> buckets, ranges, stats' },
    ),
    next_cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as cursor for the next page; null on the last page',
    }),
    took_ms: Type.Number(),
    partial: Type.Boolean({ description: 'true when only part of the data answered (never silently)' }),
    did_you_mean: Type.Optional(
      Type.String({ description: 'When nothing matched: a corrected query that finds something' }),
    ),
  },
  { additionalProperties: true, description: 'Hits, total, facets and the cursor of the next page' },
);

export interface SearchRouteOptions {
  config: Config;
  service: SearchService;
}

export async function searchRoutes(
  fastify: FastifyInstance,
  { config, service }: SearchRouteOptions,
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const Query = searchQuerySchema(config);
  const Body = searchBodySchema(config);
  const response = { 200: SearchResponse, ...errorResponses };
  const getDoc = 'Search with query parameters. Same meaning as the POST form.';
  const postDoc = 'Search with a JSON body: the GET fields, plus a filter tree and per-facet options.';
  const fromBody = (body: Static<typeof Body> | undefined): RawSearchInput => body ?? {};
  // A POST without a body is a search with no fields (match all), as the GET form without parameters is. A JSON
  // `null` is a body, and not an object: it is refused like any other wrong type.
  const emptyBodyIsEmptyObject = async (req: { body: unknown }) => {
    if (req.body === undefined) req.body = {};
  };

  app.get(
    '/api/indexes/:index/search',
    {
      config: { scope: 'search', appliesKeyFilter: true },
      schema: {
        tags: ['search'],
        summary: 'Search an index',
        description: getDoc,
        params: IndexParams,
        querystring: Query,
        response,
      },
    },
    async (req) => service.search(req.params.index, req.query, restrictionOf(req.principal)),
  );
  app.post(
    '/api/indexes/:index/search',
    {
      config: { scope: 'search', appliesKeyFilter: true },
      schema: {
        tags: ['search'],
        summary: 'Search an index (JSON body)',
        description: postDoc,
        params: IndexParams,
        body: Body,
        response,
        [OPTIONAL_BODY]: true,
      },
      preValidation: emptyBodyIsEmptyObject,
    },
    async (req) => service.search(req.params.index, fromBody(req.body), restrictionOf(req.principal)),
  );
  app.get(
    '/api/search',
    {
      config: { scope: 'search', appliesKeyFilter: true, usesDefaultIndex: true },
      schema: {
        tags: ['search'],
        summary: `Search the default index (${config.DEFAULT_INDEX})`,
        description: getDoc,
        querystring: Query,
        response,
      },
    },
    async (req) => service.search(config.DEFAULT_INDEX, req.query, restrictionOf(req.principal)),
  );
  app.post(
    '/api/search',
    {
      config: { scope: 'search', appliesKeyFilter: true, usesDefaultIndex: true },
      schema: {
        tags: ['search'],
        summary: `Search the default index (${config.DEFAULT_INDEX}, JSON body)`,
        description: postDoc,
        body: Body,
        response,
        [OPTIONAL_BODY]: true,
      },
      preValidation: emptyBodyIsEmptyObject,
    },
    async (req) => service.search(config.DEFAULT_INDEX, fromBody(req.body), restrictionOf(req.principal)),
  );
}
