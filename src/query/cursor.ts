import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/config.js';
import { SiftError } from '../errors.js';
import { MAX_ID_LENGTH } from '../schema/document.js';
import type { FieldType, IndexSchema } from '../schema/types.js';
import type { Scalar, SearchAfter, SortClause } from './types.js';

/**
 * A cursor is the last hit's sort position, the index it pages and a fingerprint of the query it belongs to,
 * signed with an HMAC. It is opaque to clients but not secret (it carries only values the client already saw);
 * the signature makes it tamper-evident, so an edited position or a cursor moved to another index or query is
 * refused with INVALID_CURSOR instead of reaching an engine. The decoded position is also checked against the
 * types of the sort fields, which catches a cursor that outlived a reindex that changed a field's type.
 *
 *   cursor = base64url(JSON body) "." base64url(HMAC-SHA256(key, base64url(JSON body)))
 */
interface CursorBody {
  v: 2;
  /** The logical index name the cursor pages. */
  i: string;
  /** queryFingerprint() of the query. */
  f: string;
  /** Null only in a curated cursor whose page held nothing but pinned hits from the first page on. */
  a: SearchAfter | null;
  /** Curated lists (pinned results): the merged position the next page starts at. */
  p?: number;
}

export interface CursorScope {
  index: string;
  fingerprint: string;
}

/** Longest cursor accepted; Sift's own stay far below (a position is a few sort values and an id). */
const MAX_CURSOR_LENGTH = 8192;
const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Domain separation: a cursor key derived from a secret is useless for anything else signed with that secret. */
const KEY_LABEL = 'sift cursor key v1';

const deriveKey = (secret: string | Buffer): Buffer =>
  createHmac('sha256', secret).update(KEY_LABEL).digest();

/**
 * The keys cursors are signed and verified with. The first signs; every key verifies, so after a rotation the
 * previous secret keeps in-flight paging working until it is removed (see docs/security.md).
 */
export class CursorKeys {
  private constructor(private readonly keys: readonly Buffer[]) {}

  static fromSecrets(current: string, previous: readonly string[] = []): CursorKeys {
    return new CursorKeys([current, ...previous].map(deriveKey));
  }

  /**
   * The keys of a configuration: CURSOR_SECRET, or, when it is empty, JWT_SECRET (the configuration refuses the
   * development JWT secret for this in production); CURSOR_SECRET_PREVIOUS verifies only.
   */
  static fromConfig(config: Config): CursorKeys {
    return CursorKeys.fromSecrets(config.CURSOR_SECRET || config.JWT_SECRET, config.CURSOR_SECRET_PREVIOUS);
  }

  /** A random key for one process: for tests and for services whose cursors never leave the process. */
  static ephemeral(): CursorKeys {
    return new CursorKeys([deriveKey(randomBytes(32))]);
  }

  sign(payload: string): string {
    return createHmac('sha256', this.keys[0]!).update(payload).digest('base64url');
  }

  verify(payload: string, mac: string): boolean {
    const given = Buffer.from(mac, 'base64url');
    return this.keys.some((key) => {
      const expected = createHmac('sha256', key).update(payload).digest();
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  }
}

export function queryFingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(
  after: SearchAfter | null,
  scope: CursorScope,
  keys: CursorKeys,
  position?: number,
): string {
  const body: CursorBody = {
    v: 2,
    i: scope.index,
    f: scope.fingerprint,
    a: after,
    ...(position !== undefined ? { p: position } : {}),
  };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${payload}.${keys.sign(payload)}`;
}

const refuse = (message: string, details?: Record<string, unknown>): never => {
  throw new SiftError('INVALID_CURSOR', message, details);
};

/** Whether a sort value fits the clause: what engines put in next_cursor for that field type, or null (missing). */
function fits(v: Scalar | null, type: FieldType | 'score'): boolean {
  if (type === 'score') return typeof v === 'number' && Number.isFinite(v);
  if (v === null) return true;
  switch (type) {
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'date':
      return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 8.64e15;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return v === 0 || v === 1 || typeof v === 'boolean';
    default:
      return typeof v === 'string';
  }
}

function checkPosition(after: SearchAfter, sort: SortClause[], schema: IndexSchema): void {
  const stale = 'cursor does not fit the sort of this query; start again from the first page';
  if (after.values.length !== sort.length) refuse(stale);
  sort.forEach((clause, i) => {
    const type =
      clause.field === '_score'
        ? 'score'
        : Object.hasOwn(schema.fields, clause.field)
          ? schema.fields[clause.field]!.type
          : 'keyword';
    if (!fits(after.values[i]!, type)) refuse(stale, { field: clause.field });
  });
  if (after.id.length === 0 || after.id.length > MAX_ID_LENGTH) refuse(stale);
}

/**
 * The position of a cursor issued for this index and query, checked against the sort; anything else is
 * INVALID_CURSOR.
 */
export function decodeCursor(
  cursor: string,
  scope: CursorScope,
  keys: CursorKeys,
  sort: SortClause[],
  schema: IndexSchema,
): SearchAfter {
  const { after } = decodeCursorAt(cursor, scope, keys, sort, schema);
  if (!after) return refuse('cursor is malformed');
  return after;
}

/**
 * A cursor's ranking position (null: from the start of the ranking) and, for a curated list, the merged position
 * the next page starts at (null when the cursor came from an uncurated page).
 */
export function decodeCursorAt(
  cursor: string,
  scope: CursorScope,
  keys: CursorKeys,
  sort: SortClause[],
  schema: IndexSchema,
): { after: SearchAfter | null; position: number | null } {
  const notOurs =
    'cursor is not one Sift issued (it must be a next_cursor value, unchanged, from a page of the same index)';
  if (cursor.length > MAX_CURSOR_LENGTH || !SHAPE.test(cursor)) refuse(notOurs);
  const [payload, mac] = cursor.split('.') as [string, string];
  // The signature first: nothing of an unsigned body is parsed, let alone trusted.
  if (!keys.verify(payload, mac)) refuse(notOurs);
  let body: CursorBody;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as CursorBody;
  } catch {
    return refuse(notOurs);
  }
  const a = body?.a;
  const p = body?.p;
  const curated = typeof p === 'number' && Number.isSafeInteger(p) && p >= 0;
  const valid =
    body?.v === 2 &&
    typeof body.i === 'string' &&
    typeof body.f === 'string' &&
    (p === undefined || curated) &&
    ((a === null && curated) ||
      (a !== null &&
        typeof a === 'object' &&
        typeof a.id === 'string' &&
        Array.isArray(a.values) &&
        a.values.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))));
  if (!valid) refuse('cursor is malformed');
  if (body.i !== scope.index)
    refuse('cursor belongs to another index: a cursor pages only the index it came from');
  if (body.f !== scope.fingerprint) {
    refuse('cursor belongs to a different query: keep q, filter, sort and facets unchanged while paging');
  }
  const position = curated ? p : null;
  if (a === null) return { after: null, position };
  const after = { values: a.values, id: a.id };
  checkPosition(after, sort, schema);
  return { after, position };
}
