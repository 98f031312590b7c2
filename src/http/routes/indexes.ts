import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { SearchService } from '../../service/search-service.js';
import { errorResponses } from '../plugins/errors.js';
import { LINKS, type OperationLinks } from '../plugins/openapi.js';
import { BY_FILTER_LINKS } from './documents-by-filter.js';
import { CurationsBody, IndexParams, IndexSchemaBody, RelevanceSettingsBody, Timestamp } from '../schemas.js';

const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });

export const IndexInfoSchema = Type.Object(
  {
    name: Type.String(),
    schema: Open('The index schema, defaults filled in'),
    documents: Type.Integer(),
    size_bytes: Type.Union([Type.Integer(), Type.Null()]),
    created_at: Timestamp(),
    generation: Type.Integer({ description: 'Bumped by every acknowledged write' }),
  },
  { additionalProperties: true },
);

const SchemaBody = IndexSchemaBody(
  'Index schema: {"id_field": "id", "fields": {"name": {"type": "text", "boost": 3}, ...}, "ranking": {...}, "suggest": {"field": "name"}}',
);

export async function indexRoutes(
  fastify: FastifyInstance,
  { service }: { service: SearchService },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['indexes'];

  app.get(
    '/api/indexes',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'List indexes',
        response: { 200: Type.Object({ indexes: Type.Array(IndexInfoSchema) }), ...errorResponses },
      },
    },
    async () => ({ indexes: await service.listIndexes() }),
  );

  app.put(
    '/api/indexes/:index',
    {
      schema: {
        tags,
        summary: 'Create an index, or update its schema compatibly',
        description:
          '201 when created, 200 when an existing index was updated. A field may not change type (422).',
        params: IndexParams,
        body: SchemaBody,
        response: { 200: IndexInfoSchema, 201: IndexInfoSchema, ...errorResponses },
        [LINKS]: { 200: BY_FILTER_LINKS, 201: BY_FILTER_LINKS } satisfies OperationLinks,
      },
      config: { scope: 'admin', indexSchemaAt: '' },
    },
    async (req, reply) => {
      const { created, index } = await service.putIndex(req.params.index, req.body);
      return reply.code(created ? 201 : 200).send(index);
    },
  );

  app.get(
    '/api/indexes/:index',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Schema and stats of an index',
        params: IndexParams,
        response: { 200: IndexInfoSchema, ...errorResponses },
      },
    },
    async (req) => service.getIndex(req.params.index),
  );

  const settingsResponse = { 200: RelevanceSettingsBody, ...errorResponses };
  app.get(
    '/api/indexes/:index/settings',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Relevance settings of an index: typo tolerance and stop words',
        description: 'Defaults filled in. They are part of the index schema.',
        params: IndexParams,
        response: settingsResponse,
      },
    },
    async (req) => service.getSettings(req.params.index),
  );

  app.put(
    '/api/indexes/:index/settings',
    {
      schema: {
        tags,
        summary: 'Replace the relevance settings of an index',
        description:
          'A key left out goes back to its default. Applied to the next search on every engine; no reindex. Malformed settings are 400 INVALID_SETTINGS.',
        params: IndexParams,
        body: RelevanceSettingsBody,
        response: settingsResponse,
      },
      config: { scope: 'admin', settingsBody: true },
    },
    async (req) => service.putSettings(req.params.index, req.body),
  );

  const curationsResponse = { 200: CurationsBody, ...errorResponses };
  app.get(
    '/api/indexes/:index/curations',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Curation rules of an index: pinned and hidden results per query',
        description: 'As stored: queries lower-cased, trimmed, spaces collapsed; pins sorted by position.',
        params: IndexParams,
        response: curationsResponse,
      },
    },
    async (req) => service.getCurations(req.params.index),
  );

  app.put(
    '/api/indexes/:index/curations',
    {
      schema: {
        tags,
        summary: 'Replace the curation rules of an index',
        description:
          'The whole list at once ([] removes every rule). Applied to the next search on every engine; no reindex. Malformed rules are 400 INVALID_CURATION.',
        params: IndexParams,
        body: CurationsBody,
        response: curationsResponse,
      },
      config: { scope: 'admin', curationsBody: true },
    },
    async (req) => service.putCurations(req.params.index, req.body),
  );

  app.delete(
    '/api/indexes/:index',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Drop an index and all its documents',
        params: IndexParams,
        response: { 204: Type.Null({ description: 'Dropped' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      await service.dropIndex(req.params.index);
      return reply.code(204).send(null);
    },
  );
}
