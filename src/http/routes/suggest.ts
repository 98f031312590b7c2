import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { mergeSuggestions, type PopularQueries } from '../../analytics/popular-queries.js';
import { restrictionOf, type Principal } from '../../auth/principal.js';
import type { Config } from '../../config/config.js';
import type { SearchService } from '../../service/search-service.js';
import { errorResponses } from '../plugins/errors.js';
import { IndexParams, UrlText } from '../schemas.js';

const SuggestQuery = Type.Object(
  {
    q: Type.Optional(UrlText({ description: 'Prefix typed so far' })),
    size: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 50, description: 'Suggestions to return (default 5)' }),
    ),
  },
  { additionalProperties: false },
);

const SuggestResponse = Type.Object(
  {
    suggestions: Type.Array(
      Type.Union([
        Type.Object(
          { text: Type.String(), id: Type.String({ description: 'The document the completion comes from' }) },
          { additionalProperties: true },
        ),
        Type.Object(
          {
            text: Type.String(),
            source: Type.Literal('popular', {
              description: 'A query other people searched (search analytics), not a document: no id',
            }),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: true },
);

export interface SuggestRouteOptions {
  config: Config;
  service: SearchService;
  /** Popular queries merged into the index's suggestions; null when analytics or ANALYTICS_SUGGESTIONS is off. */
  popular?: PopularQueries | null;
}

export async function suggestRoutes(
  fastify: FastifyInstance,
  { config, service, popular = null }: SuggestRouteOptions,
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const response = { 200: SuggestResponse, ...errorResponses };
  const description =
    "Completions of the prefix from the schema's suggest field and, with search analytics on, queries other " +
    'people searched (`source: "popular"`, up to half of `size`); never popular queries for a scoped key.';

  /**
   * The index's suggestions with the popular queries merged in. Never for a scoped key or under a restriction:
   * its answers are confined to its filter, and popular queries come from searches outside it.
   */
  const suggest = async (index: string, q: string, size: number, principal: Principal | undefined) => {
    const restriction = restrictionOf(principal);
    const answer = await service.suggest(index, q, size, restriction);
    if (!popular || restriction || principal?.kind === 'scoped') return answer;
    return { suggestions: mergeSuggestions(answer.suggestions, popular.complete(index, q, size), size) };
  };

  app.get(
    '/api/indexes/:index/suggest',
    {
      config: { scope: 'search', appliesKeyFilter: true },
      schema: {
        tags: ['search'],
        summary: 'Suggest completions',
        description,
        params: IndexParams,
        querystring: SuggestQuery,
        response,
      },
    },
    async (req) => suggest(req.params.index, req.query.q ?? '', req.query.size ?? 5, req.principal),
  );
  app.get(
    '/api/suggest',
    {
      config: { scope: 'search', appliesKeyFilter: true, usesDefaultIndex: true },
      schema: {
        tags: ['search'],
        summary: `Suggest completions from the default index (${config.DEFAULT_INDEX})`,
        description,
        querystring: SuggestQuery,
        response,
      },
    },
    async (req) => suggest(config.DEFAULT_INDEX, req.query.q ?? '', req.query.size ?? 5, req.principal),
  );
}
