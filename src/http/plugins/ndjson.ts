import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SiftError } from '../../errors.js';
import { decodeUtf8Body } from './utf8.js';

/** Largest number of items one batch request may carry (413 above). */
export const MAX_BATCH_ITEMS = 100_000;
/** Deepest nesting of arrays and objects accepted in a body; nothing Sift takes needs more. */
export const MAX_JSON_DEPTH = 64;

export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson'];

/** Only texts that may spell a forbidden key (possibly with \u escapes) need the key check. */
const MAY_POISON = /__proto__|constructor|\\u/;

/**
 * Finds what makes a parsed JSON value unsafe: a `__proto__` key, a `constructor` key holding an object with a
 * `prototype` key (the two prototype-poisoning shapes), or nesting deeper than MAX_JSON_DEPTH. Iterative, so a
 * hostile body cannot overflow the stack here.
 */
function findProblem(root: unknown, checkKeys: boolean): string | null {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) return `nesting deeper than ${MAX_JSON_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
      continue;
    }
    if (checkKeys) {
      if (Object.hasOwn(value, '__proto__')) return 'a forbidden "__proto__" key';
      const ctor = Object.hasOwn(value, 'constructor')
        ? (value as Record<string, unknown>).constructor
        : undefined;
      if (typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype'))
        return 'a forbidden "constructor.prototype" key';
    }
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) stack.push([item, depth + 1]);
    }
  }
  return null;
}

/**
 * JSON.parse with the protections of Fastify's own parser (no prototype poisoning) and a depth limit. Throws
 * SiftError INVALID_JSON whose message says what is wrong and, for syntax errors, where.
 */
export function parseJsonText(text: string, what = 'body'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(message);
    const detail = err instanceof RangeError ? `nesting is too deep` : message;
    throw new SiftError(
      'INVALID_JSON',
      `${what} is not valid JSON: ${detail}`,
      pos ? { position: Number(pos[1]) } : undefined,
    );
  }
  const problem = findProblem(value, MAY_POISON.test(text));
  if (problem) throw new SiftError('INVALID_JSON', `${what} is refused: it contains ${problem}`);
  return value;
}

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
    try {
      out.push(parseJsonText(raw, `line ${line}`));
    } catch (err) {
      if (!(err instanceof SiftError)) throw err;
      out.push(new SiftError('INVALID_JSON', err.message, { ...err.details, line }));
    }
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
