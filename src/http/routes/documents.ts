import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { SiftError } from '../../errors.js';
import type { SearchService } from '../../service/search-service.js';
import { errorResponses, ErrorResponse } from '../plugins/errors.js';
import { LINKS, type OperationLinks } from '../plugins/openapi.js';
import { BY_FILTER_LINKS } from './documents-by-filter.js';
import { MAX_BATCH_ITEMS, NDJSON_TYPES, registerNdjsonParser } from '../plugins/ndjson.js';
import { DocumentId, IndexName, IndexParams } from '../schemas.js';

const DocParams = Type.Object({ index: IndexName(), id: DocumentId }, { additionalProperties: false });
// MAX_BATCH_ITEMS is not a maxItems here: a larger batch is a 413, as the operation's description says.
const Documents = Type.Array(Type.Unknown(), {
  description: 'Documents (at least one): a JSON array, or NDJSON with one document per line',
  minItems: 1,
});
const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });

const WriteResult = Type.Object({
  id: Type.String(),
  result: Type.Union([Type.Literal('created'), Type.Literal('updated')]),
});

const BatchItem = Type.Object(
  {
    index: Type.Integer({ description: 'Position of the item in the batch (0-based)' }),
    id: Type.Union([Type.String(), Type.Null()]),
    status: Type.Integer({ description: '201 created, 200 updated, 4xx refused' }),
    result: Type.Optional(Type.Union([Type.Literal('created'), Type.Literal('updated')])),
    error: Type.Optional(ErrorResponse.properties.error),
  },
  { additionalProperties: true },
);
const BatchResponse = Type.Object(
  { indexed: Type.Integer(), failed: Type.Integer(), items: Type.Array(BatchItem) },
  {
    additionalProperties: true,
    description:
      'Always 200 for a processed batch, even when some items failed: each item carries its own status.',
  },
);

export async function documentRoutes(
  fastify: FastifyInstance,
  { service }: { service: SearchService },
): Promise<void> {
  // NDJSON is accepted by the batch route only: the parser lives in this encapsulated scope.
  registerNdjsonParser(fastify);
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['documents'];

  app.put(
    '/api/indexes/:index/documents/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Store (create or replace) one document',
        description: '201 when created, 200 when it replaced a document. Durable when answered.',
        params: DocParams,
        body: Open('The document: declared fields only; the id field may be omitted (taken from the URL)'),
        response: { 200: WriteResult, 201: WriteResult, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { created, id } = await service.putDocument(req.params.index, req.params.id, req.body);
      return reply.code(created ? 201 : 200).send({ id, result: created ? 'created' : 'updated' });
    },
  );

  app.get(
    '/api/indexes/:index/documents/:id',
    {
      config: { scope: 'search' },
      schema: {
        tags,
        summary: 'Fetch one document',
        params: DocParams,
        response: {
          200: Type.Object({ id: Type.String(), document: Open('The stored document') }),
          ...errorResponses,
        },
      },
    },
    async (req) => service.getDocument(req.params.index, req.params.id),
  );

  app.delete(
    '/api/indexes/:index/documents/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Remove one document',
        params: DocParams,
        response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      await service.deleteDocument(req.params.index, req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/indexes/:index/documents',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Import a batch of documents (JSON array or NDJSON)',
        description:
          `Upserts by id. Good items are stored even when others fail; each item reports its status. At most ${MAX_BATCH_ITEMS} ` +
          'items per request (413 above). A bad NDJSON line is reported as that item with INVALID_JSON.',
        params: IndexParams,
        // One schema per accepted media type: the parsers turn both forms into the same array of documents.
        body: {
          content: Object.fromEntries(
            ['application/json', ...NDJSON_TYPES].map((type) => [type, { schema: Documents }]),
          ),
        },
        response: { 200: BatchResponse, ...errorResponses },
        [LINKS]: { 200: BY_FILTER_LINKS } satisfies OperationLinks,
      },
    },
    async (req) => {
      const items: unknown = req.body;
      const index = (req.params as { index: string }).index;
      if (!Array.isArray(items)) {
        throw new SiftError(
          'INVALID_REQUEST',
          'the body must be a JSON array of documents, or NDJSON (one document per line)',
        );
      }
      if (items.length > MAX_BATCH_ITEMS) {
        throw new SiftError(
          'PAYLOAD_TOO_LARGE',
          `a batch may hold at most ${MAX_BATCH_ITEMS} documents, got ${items.length}`,
          { max_items: MAX_BATCH_ITEMS },
        );
      }
      return service.importDocuments(index, items);
    },
  );
}
