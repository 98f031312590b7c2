import { createHash } from 'node:crypto';
import { SiftError } from '../errors.js';
import type { SearchAfter } from './types.js';

/**
 * A cursor is the last hit's sort position plus a fingerprint of the query it belongs to, so a cursor replayed
 * against a different query is refused instead of silently returning a wrong page. It is opaque to clients but
 * not secret: it carries only values the client already saw.
 */
interface CursorBody {
  v: 1;
  f: string;
  a: SearchAfter;
}

export function queryFingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(after: SearchAfter, fingerprint: string): string {
  const body: CursorBody = { v: 1, f: fingerprint, a: after };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeCursor(cursor: string, fingerprint: string): SearchAfter {
  let body: CursorBody;
  try {
    if (cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorBody;
  } catch {
    throw new SiftError(
      'INVALID_CURSOR',
      'cursor is not one Sift issued (it must be a next_cursor value, unchanged)',
    );
  }
  const a = body?.a;
  const valid =
    body?.v === 1 &&
    typeof body.f === 'string' &&
    a !== null &&
    typeof a === 'object' &&
    typeof a.id === 'string' &&
    Array.isArray(a.values) &&
    a.values.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x));
  if (!valid) throw new SiftError('INVALID_CURSOR', 'cursor is malformed');
  if (body.f !== fingerprint) {
    throw new SiftError(
      'INVALID_CURSOR',
      'cursor belongs to a different query: keep q, filter, sort and facets unchanged while paging',
    );
  }
  return { values: a.values, id: a.id };
}
