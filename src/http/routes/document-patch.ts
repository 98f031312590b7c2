import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { SiftError } from '../../errors.js';
import type { SearchService } from '../../service/search-service.js';
import { decodeUtf8Body } from '../plugins/utf8.js';
import { parseJsonText } from '../../ingest/json.js';
import { errorResponses, ErrorResponse } from '../plugins/errors.js';
import { MAX_BATCH_ITEMS, NDJSON_TYPES, registerNdjsonParser } from '../plugins/ndjson.js';
import { DocumentId, IndexName, IndexParams } from '../schemas.js';

/** RFC 7396's media type; plain application/json is accepted too. */
export const MERGE_PATCH_TYPE = 'application/merge-patch+json';

const DocParams = Type.Object({ index: IndexName(), id: DocumentId }, { additionalProperties: false });
const Patch = Type.Object(
  {},
  {
    additionalProperties: true,
    description:
      'A JSON merge patch (RFC 7396): a field set to null is removed, any other value replaces the stored one, fields not named stay',
  },
);
// Items are checked one by one by the service, so one bad item is reported in place rather than failing the rest.
const PatchItems = Type.Array(Type.Unknown(), {
  description:
    'Partial updates (at least one), each {"id", "patch"}: a JSON array, or NDJSON with one per line',
  minItems: 1,
});

const PatchResult = Type.Object({
  id: Type.String(),
  result: Type.Literal('updated'),
  document: Type.Object(
    {},
    { additionalProperties: true, description: 'The document as stored after the patch' },
  ),
});
const PatchBatchItem = Type.Object(
  {
    index: Type.Integer({ description: 'Position of the item in the batch (0-based)' }),
    id: Type.Union([Type.String(), Type.Null()]),
    status: Type.Integer({ description: '200 updated, 4xx refused' }),
    result: Type.Optional(Type.Literal('updated')),
    error: Type.Optional(ErrorResponse.properties.error),
  },
  { additionalProperties: true },
);
const PatchBatchResponse = Type.Object(
  { updated: Type.Integer(), failed: Type.Integer(), items: Type.Array(PatchBatchItem) },
  {
    additionalProperties: true,
    description:
      'Always 200 for a processed batch, even when some items failed: each item carries its own status.',
  },
);

/**
 * Partial updates: one document by JSON merge patch, or a batch of them. In a scope of their own, so the
 * merge-patch media type and NDJSON are accepted here and nowhere else.
 */
export async function documentPatchRoutes(
  fastify: FastifyInstance,
  { service }: { service: SearchService },
): Promise<void> {
  registerNdjsonParser(fastify);
  fastify.addContentTypeParser(MERGE_PATCH_TYPE, { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      const text = decodeUtf8Body(body as Buffer);
      if (text.trim() === '')
        throw new SiftError('INVALID_JSON', 'the body is empty; send a JSON merge patch');
      done(null, parseJsonText(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['documents'];

  app.patch(
    '/api/indexes/:index/documents/:id',
    {
      config: { scope: 'write', patchBody: true },
      schema: {
        tags,
        summary: 'Update part of one document (JSON merge patch, RFC 7396)',
        description:
          'Merges the patch into the stored document: a field set to null is removed, others are replaced, fields ' +
          'not named are kept. The result is checked against the index schema before anything is written ' +
          "(INVALID_DOCUMENT names the field). Concurrent patches of one document never lose each other's " +
          'fields. 404 DOCUMENT_NOT_FOUND when there is no such document: a patch creates nothing. Durable when answered.',
        params: DocParams,
        body: {
          content: Object.fromEntries(
            [MERGE_PATCH_TYPE, 'application/json'].map((t) => [t, { schema: Patch }]),
          ),
        },
        response: { 200: PatchResult, ...errorResponses },
      },
    },
    async (req) => {
      const { id, document } = await service.patchDocument(req.params.index, req.params.id, req.body);
      return { id, result: 'updated' as const, document };
    },
  );

  app.patch(
    '/api/indexes/:index/documents',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Update part of many documents (a batch of JSON merge patches)',
        description:
          `Each item is {"id", "patch"} and is applied like PATCH of one document; patches of one id in the order given. Good items are ` +
          `stored even when others fail; each item reports its status. At most ${MAX_BATCH_ITEMS} items per request (413 above).`,
        params: IndexParams,
        body: {
          content: Object.fromEntries(
            ['application/json', ...NDJSON_TYPES].map((type) => [type, { schema: PatchItems }]),
          ),
        },
        response: { 200: PatchBatchResponse, ...errorResponses },
      },
    },
    async (req) => {
      const items: unknown = req.body;
      if (!Array.isArray(items))
        throw new SiftError(
          'INVALID_PATCH',
          'the body must be a JSON array of {"id", "patch"} items, or NDJSON',
        );
      if (items.length > MAX_BATCH_ITEMS) {
        throw new SiftError(
          'PAYLOAD_TOO_LARGE',
          `a batch may hold at most ${MAX_BATCH_ITEMS} patches, got ${items.length}`,
          { max_items: MAX_BATCH_ITEMS },
        );
      }
      return service.patchDocuments((req.params as { index: string }).index, items);
    },
  );
}
