import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { SiftError } from '../errors.js';
import { parseFilterExpression } from '../query/filter-expression.js';
import { parseFilterTree } from '../query/filter-tree.js';
import type { Filter } from '../query/types.js';
import { checkUsable, type ApiKeys } from './api-keys.js';
import type { StoredKey } from './key-store.js';
import type { Principal } from './principal.js';

/**
 * Scoped search keys: `ssk_<payload>.<signature>`, both base64url without padding.
 *   payload   = JSON {"v":1, "k": parent key id, "e": expiry (epoch seconds), "f"?: filter, "i"?: [indexes]}
 *               where "f" is a filter expression string or a JSON filter tree, exactly as the search API takes
 *   signature = HMAC-SHA256(key = hex-decoded signing key of the parent, message = the payload text as sent)
 *   signing key of the parent = HMAC-SHA256(key = the parent's secret, message = "sift scoped key v1"), hex
 * The server verifies the signature with the parent's stored signing key, so any change to the filter, the
 * indexes or the expiry breaks it; the parent's scopes, allowlist, expiry and revocation still apply.
 */
export const SCOPED_KEY_PREFIX = 'ssk_';
const SCOPED_KEY = /^ssk_([A-Za-z0-9_-]{1,16384})\.([A-Za-z0-9_-]{43})$/;
const KEY_ID = /^[0-9a-f]{16}$/;

export interface ScopedClaims {
  v: 1;
  /** Parent key id. */
  k: string;
  /** Expiry, epoch seconds. */
  e: number;
  f?: string | Record<string, unknown>;
  i?: string[];
}

const unauthorized = (message: string) => new SiftError('UNAUTHORIZED', message);

const sign = (payload: string, signingKeyHex: string): Buffer =>
  createHmac('sha256', Buffer.from(signingKeyHex, 'hex')).update(payload).digest();

/** Builds the key string; works offline from the parent's signing key (see secrets.scopedSigningKey). */
export function encodeScopedKey(claims: ScopedClaims, signingKeyHex: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${SCOPED_KEY_PREFIX}${payload}.${sign(payload, signingKeyHex).toString('base64url')}`;
}

/** The Filter model of a filter as written (expression or tree); throws INVALID_FILTER. */
export function parseFilterInput(f: string | Record<string, unknown>): Filter {
  return typeof f === 'string' ? parseFilterExpression(f) : parseFilterTree(f);
}

function decodeClaims(payload: string): ScopedClaims {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw unauthorized('the scoped key is malformed');
  }
  const c = raw as Partial<ScopedClaims> | null;
  const ok =
    c !== null &&
    typeof c === 'object' &&
    c.v === 1 &&
    typeof c.k === 'string' &&
    KEY_ID.test(c.k) &&
    typeof c.e === 'number' &&
    Number.isFinite(c.e) &&
    (c.f === undefined || typeof c.f === 'string' || (typeof c.f === 'object' && c.f !== null)) &&
    (c.i === undefined || (Array.isArray(c.i) && c.i.every((x) => typeof x === 'string')));
  if (!ok) throw unauthorized('the scoped key is malformed');
  return c as ScopedClaims;
}

/** The parent's allowlist narrowed by the scoped key's list; null = every index. */
export function intersectIndexes(
  parent: readonly string[] | null,
  scoped: readonly string[] | null | undefined,
): string[] | null {
  if (!scoped) return parent ? [...parent] : null;
  return parent ? scoped.filter((i) => parent.includes(i)) : [...scoped];
}

export interface ScopedKeyRequest {
  filter?: string | Record<string, unknown> | null;
  indexes?: string[] | null;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * Checks a scoped-key request against its parent and signs it. The parent must be usable and allowed to
 * search; the indexes must lie inside its allowlist; the key may not outlive it.
 */
export function deriveScopedKey(parent: StoredKey, req: ScopedKeyRequest, now = Date.now()): string {
  checkUsable(parent, now, 'parent key');
  if (!parent.scopes.includes('search'))
    throw new SiftError(
      'FORBIDDEN',
      'the parent key lacks the "search" scope, so it cannot derive search keys',
    );
  if (req.filter !== undefined && req.filter !== null) {
    try {
      parseFilterInput(req.filter);
    } catch (err) {
      if (err instanceof SiftError) throw new SiftError(err.code, `filter: ${err.message}`, err.details);
      throw err;
    }
  }
  if (req.indexes && parent.indexes) {
    const outside = req.indexes.filter((i) => !parent.indexes!.includes(i));
    if (outside.length)
      throw new SiftError('FORBIDDEN', `the parent key does not allow index "${outside[0]}"`, {
        index: outside[0],
      });
  }
  if (!(req.expiresAt > now))
    throw new SiftError('INVALID_REQUEST', 'expires: must be in the future', { field: 'expires' });
  if (parent.expires_at && req.expiresAt > Date.parse(parent.expires_at))
    throw new SiftError(
      'INVALID_REQUEST',
      `expires: a scoped key cannot outlive its parent, which expires at ${parent.expires_at}`,
      { field: 'expires' },
    );
  const claims: ScopedClaims = { v: 1, k: parent.id, e: Math.floor(req.expiresAt / 1000) };
  if (req.filter !== undefined && req.filter !== null && req.filter !== '') claims.f = req.filter;
  if (req.indexes) claims.i = req.indexes;
  return encodeScopedKey(claims, parent.signing_key);
}

/** Verifies presented scoped keys against their parents (read through the API key cache). */
export class ScopedKeys {
  // A signed payload never changes meaning, so its parsed filter can be kept; the parent is re-checked each time.
  private readonly filters = new LRUCache<string, { filter: Filter | null }>({ max: 5000 });

  constructor(private readonly keys: ApiKeys) {}

  async authenticate(presented: string, now = Date.now()): Promise<Principal> {
    const m = SCOPED_KEY.exec(presented);
    if (!m) throw unauthorized('the scoped key is malformed');
    const [, payload, signature] = m as unknown as [string, string, string];
    const claims = decodeClaims(payload);
    const parent = await this.keys.lookup(claims.k);
    const expected = parent ? sign(payload, parent.signing_key) : null;
    const given = Buffer.from(signature, 'base64url');
    if (!parent || !expected || expected.length !== given.length || !timingSafeEqual(expected, given))
      throw unauthorized('the scoped key is not valid (unknown parent or bad signature)');
    checkUsable(parent, now, 'parent key of this scoped key');
    if (claims.e * 1000 <= now)
      throw new SiftError(
        'CREDENTIALS_EXPIRED',
        `the scoped key expired at ${new Date(claims.e * 1000).toISOString()}`,
      );
    let cached = this.filters.get(payload);
    if (!cached) {
      try {
        cached = { filter: claims.f === undefined ? null : parseFilterInput(claims.f) };
      } catch {
        throw unauthorized('the scoped key carries a filter that does not parse');
      }
      this.filters.set(payload, cached);
    }
    const parentExpiry = parent.expires_at ? Date.parse(parent.expires_at) : Infinity;
    // Rate limits apply per scoped key (several end users may hold keys of one parent).
    const tag = createHash('sha256').update(payload).digest('hex').slice(0, 12);
    return {
      id: `scoped:${parent.id}:${tag}`,
      kind: 'scoped',
      scopes: new Set(parent.scopes.filter((s) => s === 'search')),
      indexes: intersectIndexes(parent.indexes, claims.i),
      ...(cached.filter ? { filter: cached.filter } : {}),
      expiresAt: Math.min(claims.e * 1000, parentExpiry),
    };
  }
}
