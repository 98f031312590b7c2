import type { ErrorCode } from '../errors.js';
import type { Document } from '../schema/document.js';
import type { IndexSchema } from '../schema/types.js';
import type {
  Filter,
  KnnCandidate,
  KnnRequest,
  SearchRequest,
  SearchResult,
  SuggestRequest,
  Suggestion,
} from '../query/types.js';

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

/** One page of an export: the documents whose id comes after `after`, in id order. */
export interface ExportPageRequest {
  filter: Filter | null;
  after: string | null;
  size: number;
  /** Count every document the filter matches (the whole export, not only what is left after `after`). */
  count: boolean;
}
export interface ExportPage {
  documents: { id: string; document: Document }[];
  /** The count asked for, else null. */
  total: number | null;
}

/** Which documents a write by filter touches, and the most it may touch. */
export interface ByFilterRequest {
  /** A checked filter; null matches every document. */
  filter: Filter | null;
  /** More matches than this and nothing is written: TOO_MANY_MATCHES, with the count. */
  limit: number;
}
export interface ByFilterOutcome {
  /** Documents the filter matched when the write ran. */
  matched: number;
  /** Documents deleted or updated (fewer than matched only when a concurrent write removed some first). */
  changed: number;
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
  /**
   * Read-modify-write of one document (a partial update): `change` gets the stored document and returns the one
   * to store, or throws to store nothing (the error is the caller's). No concurrent write of the same document is
   * lost: the embedded engine runs it in one write transaction; the clusters write only over the version they
   * read and run `change` again on a conflict. Resolves with the stored document, or null when there is none.
   */
  patch(
    index: string,
    id: string,
    change: (current: Document) => Document,
    opts?: WriteOptions,
  ): Promise<Document | null>;
  delete(index: string, id: string, opts?: WriteOptions): Promise<boolean>;
  /**
   * Deletes every document the filter matches, or nothing (TOO_MANY_MATCHES) when they are more than the limit.
   * The embedded engine counts and deletes in one transaction; the clusters collect the matches' ids, then
   * delete those through the same bulk path as other writes (so a reindex under way carries them over).
   */
  deleteByFilter(index: string, request: ByFilterRequest, opts?: WriteOptions): Promise<ByFilterOutcome>;
  /**
   * Replaces every matching document with `change(current)`, or nothing (TOO_MANY_MATCHES) above the limit;
   * a throwing `change` stores nothing more (the embedded engine: nothing at all). Like `patch`, no concurrent
   * write of a matched document is lost: the clusters write over the version they read, else patch it again.
   */
  updateByFilter(
    index: string,
    request: ByFilterRequest,
    change: (current: Document) => Document,
    opts?: WriteOptions,
  ): Promise<ByFilterOutcome>;

  /**
   * Optional fast path of an export: a page in id order, every stored field. Engines without it are paged
   * through `search` sorted by the id field (src/engines/export.ts), which is the same order.
   */
  exportPage?(index: string, request: ExportPageRequest): Promise<ExportPage>;

  /**
   * Builds the next version of an index, copies every document into it while writes go on (none is lost),
   * verifies the counts, then points the name at it atomically. The replaced version is kept for rollback.
   */
  reindex(name: string, opts?: ReindexOptions): Promise<ReindexResult>;
  /** Points the name back at the version the last reindex replaced; INDEX_NOT_FOUND-like errors when none. */
  rollbackReindex(name: string): Promise<ReindexResult>;

  search(index: string, request: SearchRequest): Promise<SearchResult>;
  /**
   * kNN candidates: the `k` documents nearest to the vector among those the filter matches (filtered inside the
   * search, not after it), best first, ties by id; see KnnRequest for the scores. The query layer turns them into
   * a search answer (documents, facets over the hits, cursors) and fuses them with a text search for hybrid, so
   * every engine gives only this. Optional: an engine without it answers a vector search with INVALID_REQUEST.
   */
  knn?(index: string, request: KnnRequest): Promise<KnnCandidate[]>;
  suggest(index: string, request: SuggestRequest): Promise<Suggestion[]>;
}
