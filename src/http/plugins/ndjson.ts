import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SiftError } from '../../errors.js';
import { parseJsonText, parseNdjsonLine } from '../../ingest/json.js';
import { decodeUtf8Body } from './utf8.js';

/** Largest number of items one batch request may carry (413 above). */
export const MAX_BATCH_ITEMS = 100_000;

export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson'];

/**
 * Parses an NDJSON body into one entry per non-blank line: the parsed value, or a SiftError INVALID_JSON naming
 * the line, so SearchService.importDocuments reports a bad line in place instead of failing the whole batch.
 */
export function parseNdjson(text: string): unknown[] {
  const out: unknown[] = [];
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.trim() === '') continue;
    if (out.length >= MAX_BATCH_ITEMS) {
      throw new SiftError('PAYLOAD_TOO_LARGE', `a batch may hold at most ${MAX_BATCH_ITEMS} documents`, {
        max_items: MAX_BATCH_ITEMS,
      });
    }
    const item = parseNdjsonLine(raw, line);
    if (item !== undefined) out.push(item);
  }
  return out;
}

/** Bodies without content are only acceptable where a body is optional anyway. */
function emptyBody(request: FastifyRequest, done: (err: Error | null, body?: unknown) => void): void {
  if (request.method === 'DELETE' || request.method === 'GET' || request.method === 'HEAD')
    done(null, undefined);
  else done(new SiftError('INVALID_JSON', 'the body is empty; send a JSON value'));
}

/** Replaces Fastify's JSON parser (and drops its text/plain one, so text/plain is a 415). */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = decodeUtf8Body(body as Buffer);
    } catch (err) {
      return done(err as Error, undefined);
    }
    if (text.trim() === '') return emptyBody(request, done);
    try {
      done(null, parseJsonText(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** Adds the NDJSON parser to one (encapsulated) scope: only the batch import route accepts NDJSON. */
export function registerNdjsonParser(app: FastifyInstance): void {
  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      const items = parseNdjson(decodeUtf8Body(body as Buffer));
      // A body without a single document is a mistake (an empty file, a wrong path), not a batch of zero.
      if (items.length === 0)
        throw new SiftError('INVALID_JSON', 'the body holds no documents; send one JSON document per line');
      done(null, items);
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
