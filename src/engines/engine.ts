import type { ErrorCode } from '../errors.js';
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
  /** The physical version the name points at (`<name>-v<N>` on the cluster engines); a reindex makes N+1. */
  version: number;
  /** The version a reindex replaced and kept for `reindex --rollback`, or null. */
  previous_version: number | null;
}

export interface ReindexProgress {
  copied: number;
  total: number;
}

export interface ReindexOptions {
  /** The schema of the new version; the current one when absent. Any schema is allowed: the data is copied. */
  schema?: IndexSchema;
  onProgress?: (progress: ReindexProgress) => void;
}

export interface ReindexResult {
  index: string;
  from_version: number;
  to_version: number;
  /** Documents in the version the name points at after the switch. */
  documents: number;
  took_ms: number;
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
/** One item of a bulk write: stored (created or replaced), or refused with a catalogue error. */
export interface BulkItemResult {
  created: boolean;
  /** Present when this item was not stored; the other items of the batch are unaffected. */
  error?: { code: ErrorCode; message: string };
}
/** How a bulk load wrote: see Engine.bulkLoad. */
export type BulkLoadMode = 'rebuild' | 'batches';

export interface BulkLoadHooks {
  /** After each batch is written: per item, in order, whether it was new or why it was refused. */
  written(results: BulkItemResult[]): void;
  /** When documents of this load became durable: `documents` is the running total acknowledged so far. */
  durable(documents: number): void;
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
  /**
   * The index's schema alone, or null when it does not exist; for engines where getIndex costs more than that
   * (counts, sizes, versions). Optional: callers fall back to getIndex.
   */
  getSchema?(name: string): Promise<IndexSchema | null>;
  /** Existence only: cheap enough for readiness probes, unlike getIndex's statistics. */
  hasIndex(name: string): Promise<boolean>;
  /** Creates the index, or applies a compatible schema change; returns whether it was created. */
  putIndex(name: string, schema: IndexSchema): Promise<{ created: boolean }>;
  dropIndex(name: string): Promise<boolean>;

  /** Stores or replaces one document durably before resolving; returns whether it was new. */
  upsert(index: string, item: BulkItem, opts?: WriteOptions): Promise<{ created: boolean }>;
  /**
   * Stores many documents; every item reported without an error is durable when it resolves. Returns, per item,
   * whether it was new, or the error that kept it out.
   */
  bulkUpsert(index: string, items: BulkItem[], opts?: WriteOptions): Promise<BulkItemResult[]>;
  /**
   * Optional fast path for many batches (an import). Into an index with no documents the engine may load the
   * rows first and build its text and secondary indexes once at the end, all in one transaction ('rebuild':
   * nothing is durable until the load returns); otherwise each batch is its own transaction, durable when
   * `hooks.durable` reports it ('batches'). Engines without it are fed batch by batch through bulkUpsert.
   */
  bulkLoad?(index: string, batches: AsyncIterable<BulkItem[]>, hooks: BulkLoadHooks): Promise<BulkLoadMode>;
  get(index: string, id: string): Promise<Document | null>;
  delete(index: string, id: string, opts?: WriteOptions): Promise<boolean>;

  /**
   * Builds the next version of an index, copies every document into it while writes go on (none is lost),
   * verifies the counts, then points the name at it atomically. The replaced version is kept for rollback.
   */
  reindex(name: string, opts?: ReindexOptions): Promise<ReindexResult>;
  /** Points the name back at the version the last reindex replaced; INDEX_NOT_FOUND-like errors when none. */
  rollbackReindex(name: string): Promise<ReindexResult>;

  search(index: string, request: SearchRequest): Promise<SearchResult>;
  suggest(index: string, request: SuggestRequest): Promise<Suggestion[]>;
}
