import type { Engine } from '../engines/engine.js';
import { isSiftError } from '../errors.js';
import type { SearchAfter, SearchRequest } from '../query/types.js';
import { checkDocument, type Document } from '../schema/document.js';
import { parseSchema } from '../schema/validate.js';
import { isScope, type Scope } from './principal.js';
import { KEYS_INDEX } from '../schema/system-index.js';

/** An API key as stored: never the secret itself, only its digests. */
export interface StoredKey {
  id: string;
  name: string;
  /** sha256 of the secret, hex. */
  hash: string;
  /** Signs this key's scoped keys (derived from the secret, see secrets.ts), hex. */
  signing_key: string;
  scopes: Scope[];
  /** Index allowlist; null = every index. */
  indexes: string[] | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** Where API keys live. Implementations must make a write visible to every process that shares the store. */
export interface KeyStore {
  put(key: StoredKey): Promise<void>;
  get(id: string): Promise<StoredKey | null>;
  /** Every key, oldest first, revoked ones included. */
  list(): Promise<StoredKey[]>;
}

// Scopes and indexes are stored as space/comma-joined keywords: every engine supports keyword fields, not every
// engine model has arrays.
const KEYS_SCHEMA = parseSchema({
  id_field: 'id',
  fields: {
    id: { type: 'keyword', sortable: true },
    name: { type: 'text' },
    hash: { type: 'keyword', filterable: false },
    signing_key: { type: 'keyword', filterable: false },
    scopes: { type: 'keyword' },
    indexes: { type: 'keyword' },
    created_at: { type: 'date', sortable: true },
    expires_at: { type: 'date' },
    revoked_at: { type: 'date' },
  },
});

const LIST_PAGE = 500;

function toDocument(key: StoredKey) {
  return checkDocument(KEYS_SCHEMA, {
    id: key.id,
    name: key.name,
    hash: key.hash,
    signing_key: key.signing_key,
    scopes: key.scopes.join(' '),
    indexes: key.indexes === null ? undefined : key.indexes.join(','),
    created_at: key.created_at,
    expires_at: key.expires_at ?? undefined,
    revoked_at: key.revoked_at ?? undefined,
  });
}

function fromDocument(doc: Document): StoredKey {
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const indexes = str(doc.indexes);
  return {
    id: String(doc.id),
    name: str(doc.name) ?? '',
    hash: str(doc.hash) ?? '',
    signing_key: str(doc.signing_key) ?? '',
    scopes: (str(doc.scopes) ?? '').split(' ').filter(isScope),
    indexes: indexes === null ? null : indexes.split(',').filter(Boolean),
    created_at: str(doc.created_at) ?? '',
    expires_at: str(doc.expires_at),
    revoked_at: str(doc.revoked_at),
  };
}

/**
 * Keys kept in a reserved index of the configured engine, created with its own schema on first write, so one
 * implementation serves every engine and every replica that shares the engine sees the same keys.
 */
export class EngineKeyStore implements KeyStore {
  private ready: Promise<void> | null = null;

  constructor(private readonly engine: Engine) {}

  private ensureIndex(): Promise<void> {
    // putIndex is idempotent, so two processes racing to create the index both succeed.
    this.ready ??= this.engine
      .putIndex(KEYS_INDEX, KEYS_SCHEMA)
      .then(() => undefined)
      .catch((err: unknown) => {
        this.ready = null;
        throw err;
      });
    return this.ready;
  }

  async put(key: StoredKey): Promise<void> {
    await this.ensureIndex();
    await this.engine.upsert(KEYS_INDEX, toDocument(key), { refresh: true });
  }

  async get(id: string): Promise<StoredKey | null> {
    try {
      const doc = await this.engine.get(KEYS_INDEX, id);
      return doc ? fromDocument(doc) : null;
    } catch (err) {
      // No key was ever created: every key is unknown.
      if (isSiftError(err) && err.code === 'INDEX_NOT_FOUND') return null;
      throw err;
    }
  }

  async list(): Promise<StoredKey[]> {
    if (!(await this.engine.hasIndex(KEYS_INDEX))) return [];
    const out: StoredKey[] = [];
    let after: SearchAfter | null = null;
    for (;;) {
      const request: SearchRequest = {
        text: null,
        filter: null,
        facets: [],
        sort: [{ field: 'created_at', order: 'asc' }],
        size: LIST_PAGE,
        from: 0,
        after,
        highlight: null,
        fields: Object.keys(KEYS_SCHEMA.fields),
        // Only the hits are used.
        trackTotal: 1,
      };
      const page = await this.engine.search(KEYS_INDEX, request);
      out.push(...page.hits.map((h) => fromDocument({ ...h.document, id: h.id })));
      const last = page.hits.at(-1);
      if (!last || page.hits.length < LIST_PAGE) return out;
      after = { values: last.sortValues, id: last.id };
    }
  }
}
