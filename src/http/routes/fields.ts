import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { IndexSchema } from '../../schema/types.js';
import { FIELD_TYPES } from '../../schema/types.js';
import type { SearchService } from '../../service/search-service.js';
import { errorResponses } from '../plugins/errors.js';
import { IndexParams } from '../schemas.js';

const SearchField = Type.Object(
  {
    name: Type.String(),
    type: Type.Union(FIELD_TYPES.map((t) => Type.Literal(t))),
    searchable: Type.Boolean(),
    filterable: Type.Boolean(),
    facet: Type.Boolean(),
    sortable: Type.Boolean(),
    array: Type.Boolean(),
  },
  { additionalProperties: false },
);

const FieldsResponse = Type.Object(
  {
    index: Type.String(),
    id_field: Type.String(),
    fields: Type.Array(SearchField),
    suggest_field: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

/**
 * What a search may ask of each field (filter, facet, sort), in schema order: the part of the schema a front end
 * needs to offer facets and sorts. Relevance settings, boosts and curations stay behind the admin scope.
 */
export function searchFieldsOf(index: string, schema: IndexSchema) {
  return {
    index,
    id_field: schema.id_field,
    fields: Object.entries(schema.fields).map(([name, spec]) => ({
      name,
      type: spec.type,
      searchable: spec.searchable,
      filterable: spec.filterable,
      facet: spec.facet,
      sortable: spec.sortable,
      array: spec.array === true,
    })),
    suggest_field: schema.suggest?.field ?? null,
  };
}

/**
 * `GET /api/indexes/{index}/fields` in the search scope: a search key (the credential a browser front end holds)
 * cannot read the index schema, yet needs to know which fields it may facet and sort on. A scoped key may use it:
 * field names and capabilities reveal no document.
 */
export async function fieldRoutes(
  fastify: FastifyInstance,
  { service }: { service: SearchService },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/indexes/:index/fields',
    {
      config: { scope: 'search', appliesKeyFilter: true },
      schema: {
        tags: ['search'],
        summary: 'The fields a search can filter, facet and sort on',
        description:
          'Each field with its type and what a search may do with it; the rest of the schema needs the admin scope.',
        params: IndexParams,
        response: { 200: FieldsResponse, ...errorResponses },
      },
    },
    async (req) => searchFieldsOf(req.params.index, await service.schemaOf(req.params.index)),
  );
}
