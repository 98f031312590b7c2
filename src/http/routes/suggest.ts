import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { restrictionOf } from '../../auth/principal.js';
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
      Type.Object({ text: Type.String(), id: Type.String() }, { additionalProperties: true }),
    ),
  },
  { additionalProperties: true },
);

export async function suggestRoutes(
  fastify: FastifyInstance,
  { config, service }: { config: Config; service: SearchService },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const response = { 200: SuggestResponse, ...errorResponses };
  const description = "Completions of the prefix from the schema's suggest field.";

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
    async (req) =>
      service.suggest(req.params.index, req.query.q ?? '', req.query.size ?? 5, restrictionOf(req.principal)),
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
    async (req) =>
      service.suggest(
        config.DEFAULT_INDEX,
        req.query.q ?? '',
        req.query.size ?? 5,
        restrictionOf(req.principal),
      ),
  );
}
