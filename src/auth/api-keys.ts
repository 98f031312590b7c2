import { LRUCache } from 'lru-cache';
import { SiftError } from '../errors.js';
import { checkIndexName } from '../schema/index-name.js';
import type { KeyStore, StoredKey } from './key-store.js';
import { isScope, type Principal, type Scope } from './principal.js';
import { digestsEqual, hashSecret, newApiKey, parseApiKey, scopedSigningKey } from './secrets.js';

export interface CreateKeyInput {
  name: string;
  scopes: readonly string[];
  /** Index allowlist; omitted or null = every index. */
  indexes?: readonly string[] | null;
  /** Epoch milliseconds; omitted or null = never expires. */
  expiresAt?: number | null;
}

/** A key as shown to people and over the API: no digests. */
export interface KeyView {
  id: string;
  name: string;
  scopes: Scope[];
  indexes: string[] | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  status: 'active' | 'expired' | 'revoked';
}

const MAX_NAME = 200;

export function keyStatus(key: StoredKey, now = Date.now()): KeyView['status'] {
  if (key.revoked_at) return 'revoked';
  if (key.expires_at && Date.parse(key.expires_at) <= now) return 'expired';
  return 'active';
}

export function viewOf(key: StoredKey): KeyView {
  const { id, name, scopes, indexes, created_at, expires_at, revoked_at } = key;
  return { id, name, scopes, indexes, created_at, expires_at, revoked_at, status: keyStatus(key) };
}

const unauthorized = (message: string) => new SiftError('UNAUTHORIZED', message);

/** Scopes as given, checked and deduplicated in catalogue order. */
export function checkScopes(scopes: readonly string[]): Scope[] {
  if (scopes.length === 0)
    throw new SiftError('INVALID_REQUEST', 'scopes: give at least one of search, write, admin', {
      field: 'scopes',
    });
  for (const s of scopes) {
    if (!isScope(s))
      throw new SiftError(
        'INVALID_REQUEST',
        `scopes: unknown scope ${JSON.stringify(s).slice(0, 40)}; use search, write or admin`,
        { field: 'scopes' },
      );
  }
  return (['search', 'write', 'admin'] as const).filter((s) => scopes.includes(s));
}

export function checkIndexList(indexes: readonly string[] | null | undefined): string[] | null {
  if (indexes === undefined || indexes === null) return null;
  if (indexes.length === 0)
    throw new SiftError('INVALID_REQUEST', 'indexes: give at least one index, or omit it for every index', {
      field: 'indexes',
    });
  return [...new Set(indexes.map((i) => checkIndexName(i)))];
}

/**
 * API keys: creation (the secret is returned once and never stored), listing, revocation, and verification of
 * presented keys. Verified records are cached in-process for `cacheSeconds`, so the store is read at most once
 * per key per interval; a revocation made by another process therefore takes effect here within that bound.
 */
export class ApiKeys {
  private readonly cache: LRUCache<string, { key: StoredKey | null }> | null;

  constructor(
    readonly store: KeyStore,
    cacheSeconds: number,
  ) {
    this.cache =
      cacheSeconds > 0
        ? new LRUCache<string, { key: StoredKey | null }>({
            max: 10_000,
            ttl: cacheSeconds * 1000,
            // Concurrent requests with the same key share one store read.
            fetchMethod: async (id) => ({ key: await this.store.get(id) }),
          })
        : null;
  }

  /** The stored record of a key id, through the cache. */
  async lookup(id: string): Promise<StoredKey | null> {
    if (!this.cache) return this.store.get(id);
    const hit = await this.cache.fetch(id);
    return hit?.key ?? null;
  }

  async create(input: CreateKeyInput, now = Date.now()): Promise<{ key: string; view: KeyView }> {
    const name = input.name.trim();
    // Characters (code points), as the HTTP schema's maxLength counts them.
    if (!name || [...name].length > MAX_NAME)
      throw new SiftError('INVALID_REQUEST', `name: give 1-${MAX_NAME} characters`, { field: 'name' });
    const scopes = checkScopes(input.scopes);
    const indexes = checkIndexList(input.indexes);
    if (input.expiresAt !== undefined && input.expiresAt !== null && input.expiresAt <= now)
      throw new SiftError('INVALID_REQUEST', 'expires_at: must be in the future', { field: 'expires_at' });
    const { id, secret, key } = newApiKey();
    const record: StoredKey = {
      id,
      name,
      hash: hashSecret(secret),
      signing_key: scopedSigningKey(secret),
      scopes,
      indexes,
      created_at: new Date(now).toISOString(),
      expires_at: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
      revoked_at: null,
    };
    await this.store.put(record);
    this.cache?.delete(id);
    return { key, view: viewOf(record) };
  }

  async list(): Promise<KeyView[]> {
    return (await this.store.list()).map(viewOf);
  }

  async get(id: string): Promise<KeyView> {
    const key = await this.store.get(id);
    if (!key) throw new SiftError('KEY_NOT_FOUND', `API key "${id.slice(0, 40)}" does not exist`, { id });
    return viewOf(key);
  }

  /** Marks the key revoked (kept for the audit trail); revoking twice keeps the first time. */
  async revoke(id: string, now = Date.now()): Promise<KeyView> {
    const key = await this.store.get(id);
    if (!key) throw new SiftError('KEY_NOT_FOUND', `API key "${id.slice(0, 40)}" does not exist`, { id });
    if (!key.revoked_at) {
      key.revoked_at = new Date(now).toISOString();
      await this.store.put(key);
    }
    this.cache?.delete(id);
    return viewOf(key);
  }

  /**
   * The parent record of a presented secret after checking it is the right secret, not revoked and not
   * expired; throws 401 otherwise. Unknown id and wrong secret give the same answer, so ids cannot be probed.
   */
  async verifySecret(id: string, secret: string, now = Date.now()): Promise<StoredKey> {
    const key = await this.lookup(id);
    if (!key || !digestsEqual(hashSecret(secret), key.hash)) throw unauthorized('the API key is not valid');
    checkUsable(key, now, 'API key');
    return key;
  }

  async authenticate(presented: string, now = Date.now()): Promise<Principal> {
    const parsed = parseApiKey(presented);
    if (!parsed) throw unauthorized('the API key is malformed');
    const key = await this.verifySecret(parsed.id, parsed.secret, now);
    return {
      id: `key:${key.id}`,
      kind: 'key',
      scopes: new Set(key.scopes),
      indexes: key.indexes,
      expiresAt: key.expires_at ? Date.parse(key.expires_at) : null,
    };
  }
}

/** Throws 401 when a (verified) key is revoked or expired. */
export function checkUsable(key: StoredKey, now: number, what: string): void {
  if (key.revoked_at) throw unauthorized(`the ${what} has been revoked`);
  if (key.expires_at && Date.parse(key.expires_at) <= now)
    throw new SiftError('CREDENTIALS_EXPIRED', `the ${what} expired at ${key.expires_at}`);
}
