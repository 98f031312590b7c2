import type { Document } from '../schema/document.js';
import type { IndexSchema } from '../schema/types.js';
import type { SearchRequest, SearchResult, SuggestRequest, Suggestion } from '../query/types.js';

export interface IndexInfo {
  name: string;
  schema: IndexSchema;
  documents: number;
  /** Bytes on disk where the engine can tell, else null. */
  size_bytes: number | null;
  created_at: string;
  /** Bumped by every acknowledged write; caches key on it. */
  generation: number;
}

export interface EngineHealth {
  ok: boolean;
  engine: string;
  version: string;
  detail?: string;
}

export interface BulkItem {
  id: string;
  document: Document;
}
export interface WriteOptions {
  /** Wait until the write is visible to search (read-your-writes). */
  refresh?: boolean;
}

/**
 * What every search engine behind Sift does. Inputs are already validated against the index schema by the
 * service layer, so engines translate and execute; they report engine-level failures as SiftError
 * (INDEX_NOT_FOUND, ENGINE_UNAVAILABLE) and nothing else.
 */
export interface Engine {
  readonly name: string;
  open(): Promise<void>;
  close(): Promise<void>;
  health(): Promise<EngineHealth>;

  listIndexes(): Promise<IndexInfo[]>;
  getIndex(name: string): Promise<IndexInfo | null>;
  /** Existence only: cheap enough for readiness probes, unlike getIndex's statistics. */
  hasIndex(name: string): Promise<boolean>;
  /** Creates the index, or applies a compatible schema change; returns whether it was created. */
  putIndex(name: string, schema: IndexSchema): Promise<{ created: boolean }>;
  dropIndex(name: string): Promise<boolean>;

  /** Stores or replaces one document durably before resolving; returns whether it was new. */
  upsert(index: string, item: BulkItem, opts?: WriteOptions): Promise<{ created: boolean }>;
  /** Stores many documents; all of them are durable when it resolves. Returns, per item, whether it was new. */
  bulkUpsert(index: string, items: BulkItem[], opts?: WriteOptions): Promise<{ created: boolean }[]>;
  get(index: string, id: string): Promise<Document | null>;
  delete(index: string, id: string, opts?: WriteOptions): Promise<boolean>;

  search(index: string, request: SearchRequest): Promise<SearchResult>;
  suggest(index: string, request: SuggestRequest): Promise<Suggestion[]>;
}
