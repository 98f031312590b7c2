import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { SearchService } from '../../service/search-service.js';
import type { Document } from '../../schema/document.js';
import { errorResponses } from '../plugins/errors.js';
import { DocumentId, IndexName, UrlText } from '../schemas.js';

export const EXPORT_TYPE = 'application/x-ndjson';

const ExportParams = Type.Object({ index: IndexName() }, { additionalProperties: false });
const ExportQuery = Type.Object(
  {
    filter: Type.Optional(
      UrlText({
        description: 'Export only the documents this filter expression matches, e.g. license = "MIT"',
      }),
    ),
    after: Type.Optional(
      Type.String({
        pattern: DocumentId.pattern,
        description:
          'Resume: export only the documents whose id comes after this one. The export is in id order, so this is ' +
          'the id of the last document received; a plain id, not a signed cursor.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** One NDJSON line per document: the line is the document as stored, every field. */
async function* lines(documents: AsyncIterable<{ document: Document }>): AsyncGenerator<string> {
  for await (const { document } of documents) yield `${JSON.stringify(document)}\n`;
}

export async function exportRoutes(
  fastify: FastifyInstance,
  { service }: { service: SearchService },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/indexes/:index/export',
    {
      config: { scope: 'search' },
      schema: {
        tags: ['documents'],
        summary: "Export every document (or a filter's matches) as NDJSON",
        description:
          'Streams the documents in id order, one JSON document per line, exactly as stored, reading the engine a ' +
          'page at a time as the client takes them (constant memory on the server). `sift import` reads the ' +
          'output back. To resume a broken export, pass the id of the last complete line as `after`. The index ' +
          'and the filter are checked before the first line; a failure after it ends the response without its ' +
          'last chunk, so a client sees the export is incomplete. Keys with a filter (scoped keys) are refused.',
        params: ExportParams,
        querystring: ExportQuery,
        response: {
          200: {
            description: 'The documents, one per line',
            content: {
              [EXPORT_TYPE]: { schema: Type.String({ description: 'NDJSON: one document per line' }) },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const documents = await service.exportDocuments(req.params.index, {
        ...(req.query.filter !== undefined && req.query.filter !== '' ? { filter: req.query.filter } : {}),
        ...(req.query.after !== undefined ? { after: req.query.after } : {}),
      });
      // Readable.from pulls the next line only when the socket has taken the previous ones (backpressure), and
      // stops the generator, so the paging, when the client goes away.
      const body = Readable.from(lines(documents));
      // The type provider models the documented 200 (an NDJSON string); Fastify sends a stream as it comes.
      return reply
        .type(EXPORT_TYPE)
        .header('cache-control', 'no-store')
        .send(body as unknown as string);
    },
  );
}
