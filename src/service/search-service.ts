import { setImmediate as yieldToIo } from 'node:timers/promises';
import { isSiftError, SiftError } from '../errors.js';
import type {
  BulkItem,
  BulkLoadMode,
  Engine,
  IndexInfo,
  ReindexOptions,
  ReindexResult,
} from '../engines/engine.js';
import { CursorKeys } from '../query/cursor.js';
import {
  buildSearchRequest,
  DEFAULT_LIMITS,
  type QueryLimits,
  type RawSearchInput,
} from '../query/request.js';
import type { Filter, Suggestion } from '../query/types.js';
import { checkDocument, checkId, CONTROL, type Document } from '../schema/document.js';
import type { SearchResponse } from '../query/response.js';
import { answerSearch } from '../query/search-answer.js';
import { searchPorts } from '../engines/search-ports.js';
import { checkCurationFilters } from '../query/curation.js';
import { parseCurations } from '../schema/curations.js';
import {
  checkBatch,
  checkRange,
  fillResults,
  summarize,
  type BatchItemResult,
  type BatchResult,
  type CheckedBatch,
  type CheckedItem,
} from '../engines/batch.js';
import type { CurationRule, IndexSchema, RelevanceSettings, VectorFieldSpec } from '../schema/types.js';
import { embeddedFields, Embedders } from '../embedders/embedders.js';
import { assertCompatible, parseSchema } from '../schema/validate.js';
import { parseSettings, settingsOf } from '../schema/settings.js';
import { withRestriction, type Restriction } from '../query/restriction.js';
// Every index name a user gives is checked by checkUserIndex, which also refuses Sift's system indexes.
import { checkUserIndex as checkIndexName, isSystemIndex } from '../schema/system-index.js';
import { checkFilter } from '../query/filter-check.js';
import { exportDocuments, type ExportOptions } from '../engines/export.js';
import { patchDocument, patchDocuments, type PatchBatchResult } from '../engines/patch.js';
import {
  deleteByFilter,
  updateByFilter,
  type ByFilterInput,
  type DeleteByFilterAnswer,
  type UpdateByFilterAnswer,
  type UpdateByFilterInput,
} from '../engines/by-filter.js';

// The shapes of the service's answers are defined beside the code that builds them; callers import them here.
export type { SearchResponse } from '../query/response.js';
export type { BatchItemResult, BatchResult } from '../engines/batch.js';
export type { PatchBatchResult, PatchItemResult } from '../engines/patch.js';
export type { ExportOptions } from '../engines/export.js';
export type {
  ByFilterInput,
  DeleteByFilterAnswer,
  UpdateByFilterAnswer,
  UpdateByFilterInput,
} from '../engines/by-filter.js';

/**
 * Another process sharing the engine (a second worker, `sift reindex`, `sift index create`) can change a schema
 * behind this one's cache; it is read again at most this often, so such a change is in force here within it.
 */
const SCHEMA_RECHECK_MS = 1000;

/** The embedders' deadline of a service built without one (tests, tools); the configured one is EMBEDDER_DEADLINE_MS. */
const DEFAULT_EMBEDDER_DEADLINE_MS = 30_000;

/** One batch is written as engine calls of at most this many documents. */
const WRITE_CHUNK = 5000;

/**
 * The search service: validation against the index schema, then the engine, then the response shape of the
 * HTTP contract. Everything above it (HTTP, CLI) speaks raw input; everything below (engines) speaks the model.
 */
export class SearchService {
  // Schemas are read on every request; keep them in memory and refresh on index changes made through here.
  private readonly schemas = new Map<string, { schema: IndexSchema; at: number }>();

  /**
   * `cursorKeys` sign and verify next_cursor: processes that page the same data must share them
   * (CursorKeys.fromConfig); the random default suits a service whose cursors never leave the process.
   */
  constructor(
    readonly engine: Engine,
    private readonly limits: QueryLimits = DEFAULT_LIMITS,
    private readonly cursorKeys: CursorKeys = CursorKeys.ephemeral(),
    private readonly embedders: Embedders = new Embedders({ deadlineMs: DEFAULT_EMBEDDER_DEADLINE_MS }),
  ) {}

  async schemaOf(index: string): Promise<IndexSchema> {
    checkIndexName(index);
    const cached = this.schemas.get(index);
    if (cached && performance.now() - cached.at < SCHEMA_RECHECK_MS) return cached.schema;
    const schema = this.engine.getSchema
      ? await this.engine.getSchema(index)
      : ((await this.engine.getIndex(index))?.schema ?? null);
    if (!schema) throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });
    this.schemas.set(index, { schema, at: performance.now() });
    return schema;
  }

  /**
   * Runs `check` against the cached schema. A 4xx refusal may come from a schema that another process changed
   * within the last second (a reindex), so it is tried once more against a fresh read before it stands.
   */
  private async withSchema<T>(index: string, check: (schema: IndexSchema) => T): Promise<T> {
    const schema = await this.schemaOf(index);
    try {
      return check(schema);
    } catch (err) {
      if (!isSiftError(err) || err.status >= 500) throw err;
      this.schemas.delete(index);
      const fresh = await this.schemaOf(index);
      if (JSON.stringify(fresh) === JSON.stringify(schema)) throw err;
      return check(fresh);
    }
  }

  /** `restriction`: a filter the caller cannot lift (a scoped key's), ANDed in before the engine sees it. */
  async search(index: string, input: RawSearchInput, restriction?: Restriction): Promise<SearchResponse> {
    const started = performance.now();
    const { schema, request, fingerprint, curatedPosition } = await this.withSchema(index, (schema) => ({
      schema,
      ...buildSearchRequest(input, schema, this.limits, { index, keys: this.cursorKeys }),
    }));
    const knn = request.vector;
    // A hybrid search sent with q and no vector: the field's embedder gives the vector of q.
    if (knn?.embed !== undefined)
      knn.vector = await this.embedders.embedQuery(
        knn.field,
        schema.fields[knn.field] as VectorFieldSpec,
        knn.embed,
      );
    const ownFilter = request.filter;
    if (restriction?.filter)
      request.filter = withRestriction(checkFilter(restriction.filter, schema), request.filter);
    return answerSearch(searchPorts(this.engine, index), schema, request, ownFilter, curatedPosition, {
      index,
      fingerprint,
      keys: this.cursorKeys,
      startedAt: started,
    });
  }

  async suggest(
    index: string,
    q: string,
    size = 5,
    restriction?: Restriction,
  ): Promise<{ suggestions: Suggestion[] }> {
    const schema = await this.schemaOf(index);
    if (!schema.suggest) {
      throw new SiftError('INVALID_REQUEST', `index "${index}" has no suggest field in its schema`, {
        index,
      });
    }
    if (q.length > this.limits.maxQueryLength)
      throw new SiftError('INVALID_QUERY', `q is longer than ${this.limits.maxQueryLength} characters`);
    if (CONTROL.test(q)) throw new SiftError('INVALID_QUERY', 'q contains a control character');
    if (!Number.isInteger(size) || size < 1 || size > 50)
      throw new SiftError('INVALID_REQUEST', 'size must be 1-50', { field: 'size' });
    const prefix = q.trim();
    if (!prefix) return { suggestions: [] };
    if (restriction?.filter)
      return { suggestions: await this.restrictedSuggest(index, schema, prefix, size, restriction.filter) };
    return { suggestions: await this.engine.suggest(index, { prefix, size }) };
  }

  async listIndexes(): Promise<IndexInfo[]> {
    return (await this.engine.listIndexes()).filter((i) => !isSystemIndex(i.name));
  }

  /**
   * Suggestions under a restriction: engines suggest without filters, so candidates are over-fetched and only
   * those whose documents pass the restriction are kept (checked with one search by id).
   */
  private async restrictedSuggest(
    index: string,
    schema: IndexSchema,
    prefix: string,
    size: number,
    restriction: Filter,
  ): Promise<Suggestion[]> {
    const candidates = await this.engine.suggest(index, { prefix, size: Math.min(size * 5, 100) });
    if (!candidates.length) return [];
    const ids = [...new Set(candidates.map((c) => c.id))];
    const filter = checkFilter(
      { kind: 'and', children: [restriction, { kind: 'terms', field: schema.id_field, values: ids }] },
      schema,
    );
    const allowed = await this.engine.search(index, {
      text: null,
      filter,
      facets: [],
      sort: [{ field: schema.id_field, order: 'asc' }],
      size: ids.length,
      from: 0,
      after: null,
      highlight: null,
      fields: [],
      // Only the hits are used.
      trackTotal: 1,
    });
    const pass = new Set(allowed.hits.map((h) => h.id));
    return candidates.filter((c) => pass.has(c.id)).slice(0, size);
  }

  async getIndex(index: string): Promise<IndexInfo> {
    checkIndexName(index);
    const info = await this.engine.getIndex(index);
    if (!info) throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });
    return info;
  }

  async putIndex(index: string, rawSchema: unknown): Promise<{ created: boolean; index: IndexInfo }> {
    checkIndexName(index);
    const schema = parseSchema(rawSchema);
    const existing = await this.engine.getIndex(index);
    if (existing) assertCompatible(existing.schema, schema);
    const { created } = await this.engine.putIndex(index, schema);
    this.schemas.delete(index);
    return { created, index: await this.getIndex(index) };
  }

  /** The index's relevance settings (typo tolerance, stop words), defaults filled in. */
  async getSettings(index: string): Promise<RelevanceSettings> {
    this.schemas.delete(index);
    return settingsOf(await this.schemaOf(index));
  }

  /**
   * Replaces the relevance settings: a key left out goes back to its default. They are part of the schema, so
   * this is a compatible schema change on every engine, applied at query time without a reindex.
   */
  async putSettings(index: string, raw: unknown): Promise<RelevanceSettings> {
    const current = (await this.getIndex(index)).schema;
    const settings = parseSettings(raw, current.fields);
    await this.putIndex(index, { ...current, ...settings });
    return settings;
  }

  /** The index's curation rules (pinned and hidden results), as stored: queries normalised. */
  async getCurations(index: string): Promise<CurationRule[]> {
    this.schemas.delete(index);
    return (await this.schemaOf(index)).curations ?? [];
  }

  /**
   * Replaces the curation rules. They are part of the schema, so this is a compatible schema change (it bumps the
   * index generation, which the response cache keys on), applied to the next search on every engine.
   */
  async putCurations(index: string, raw: unknown): Promise<CurationRule[]> {
    const current = (await this.getIndex(index)).schema;
    const curations = parseCurations(raw);
    checkCurationFilters(curations, current);
    await this.putIndex(index, { ...current, curations });
    return curations;
  }

  async dropIndex(index: string): Promise<void> {
    checkIndexName(index);
    this.schemas.delete(index);
    if (!(await this.engine.dropIndex(index)))
      throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });
  }

  /**
   * Builds the next version of an index (with a new schema when given: any change, type changes included, since
   * the documents are copied and checked against it), then switches to it; the replaced version is kept for
   * rollbackReindex. See docs/reindex.md.
   */
  async reindex(
    index: string,
    rawSchema?: unknown,
    onProgress?: ReindexOptions['onProgress'],
  ): Promise<ReindexResult> {
    checkIndexName(index);
    const schema = rawSchema === undefined ? undefined : parseSchema(rawSchema);
    try {
      return await this.engine.reindex(index, {
        ...(schema ? { schema } : {}),
        ...(onProgress ? { onProgress } : {}),
      });
    } finally {
      this.schemas.delete(index);
    }
  }

  /** Points the index back at the version the last reindex replaced, carrying over the writes made since. */
  async rollbackReindex(index: string): Promise<ReindexResult> {
    checkIndexName(index);
    try {
      return await this.engine.rollbackReindex(index);
    } finally {
      this.schemas.delete(index);
    }
  }

  async putDocument(index: string, id: string, raw: unknown): Promise<{ created: boolean; id: string }> {
    const { schema, doc } = await this.withSchema(index, (schema) => ({
      schema,
      doc: checkDocument(schema, raw, id),
    }));
    const [refusal] = await this.embedders.fill(schema, [doc.document]);
    if (refusal) throw refusal;
    const { created } = await this.engine.upsert(index, doc);
    return { created, id: doc.id };
  }

  async getDocument(index: string, id: string): Promise<{ id: string; document: Document }> {
    await this.schemaOf(index);
    checkId(id);
    const document = await this.engine.get(index, id);
    if (!document)
      throw new SiftError('DOCUMENT_NOT_FOUND', `document "${id}" does not exist in index "${index}"`, {
        index,
        id,
      });
    return { id, document };
  }

  /** Applies a JSON merge patch (RFC 7396) to one document; see service/patch.ts. */
  async patchDocument(
    index: string,
    id: string,
    rawPatch: unknown,
  ): Promise<{ id: string; document: Document }> {
    const schema = await this.schemaOf(index);
    return { id, document: await patchDocument(this.engine, schema, index, id, rawPatch, this.embedders) };
  }

  /** Applies a batch of `{id, patch}` items in order, reporting each by position. */
  async patchDocuments(index: string, items: unknown[]): Promise<PatchBatchResult> {
    return patchDocuments(this.engine, await this.schemaOf(index), index, items, this.embedders);
  }

  /**
   * Streams every document of an index (or a filter's matches) in id order, a page at a time; the index and the
   * filter are checked before the first document, so a bad request fails before anything is sent.
   */
  async exportDocuments(
    index: string,
    opts: ExportOptions = {},
  ): Promise<AsyncGenerator<{ id: string; document: Document }>> {
    const schema = await this.schemaOf(index);
    const documents = exportDocuments(this.engine, index, schema, this.limits, opts);
    // Run up to the first page, so INDEX_NOT_FOUND, INVALID_FILTER and INVALID_DOCUMENT_ID are thrown here.
    const first = await documents.next();
    return (async function* () {
      if (first.done) return;
      yield first.value;
      yield* documents;
    })();
  }

  /** Deletes what a filter matches, at most a limit of documents, or counts them (dry run); see by-filter.ts. */
  async deleteByFilter(index: string, input: ByFilterInput): Promise<DeleteByFilterAnswer> {
    return deleteByFilter(this.engine, await this.schemaOf(index), this.limits, index, input);
  }

  /** Sets fields on what a filter matches, at most a limit of documents, or counts them (dry run). */
  async updateByFilter(index: string, input: UpdateByFilterInput): Promise<UpdateByFilterAnswer> {
    return updateByFilter(this.engine, await this.schemaOf(index), this.limits, index, input);
  }

  async deleteDocument(index: string, id: string): Promise<void> {
    await this.schemaOf(index);
    checkId(id);
    if (!(await this.engine.delete(index, id))) {
      throw new SiftError('DOCUMENT_NOT_FOUND', `document "${id}" does not exist in index "${index}"`, {
        index,
        id,
      });
    }
  }

  /**
   * Fills in the vectors that the index's embedders compute for checked documents written without them. A
   * document whose vector cannot be had is reported at its position with the embedder's error and not written.
   */
  private async withVectors(
    schema: IndexSchema,
    checked: CheckedItem[],
    results: BatchItemResult[],
  ): Promise<CheckedItem[]> {
    if (checked.length === 0 || embeddedFields(schema).length === 0) return checked;
    const refusals = await this.embedders.fill(
      schema,
      checked.map((c) => c.document),
    );
    return checked.filter((c, i) => {
      const err = refusals[i];
      if (err) results[c.pos] = { index: c.pos, id: c.id, status: err.status, error: err.toBody().error };
      return !err;
    });
  }

  /**
   * Validates every item, stores the good ones and reports the bad ones by position. Items that arrived as
   * unparseable lines come in as SiftError values so they are reported in place. When it resolves, every item
   * reported as indexed is durable.
   */
  async importDocuments(index: string, items: (unknown | SiftError)[]): Promise<BatchResult> {
    const schema = await this.schemaOf(index);
    const results: BatchItemResult[] = new Array(items.length);
    // One chunk is written while the next is validated: the engine's requests stay busy between chunks. Chunks
    // are written in order, one at a time, so within one batch the last occurrence of an id wins, as it would if
    // the items were sent one by one.
    let writing: Promise<void> = Promise.resolve();
    for (let at = 0; at < items.length; at += WRITE_CHUNK) {
      const chunk = await this.withVectors(
        schema,
        checkRange(schema, items, at, Math.min(items.length, at + WRITE_CHUNK), results),
        results,
      );
      await writing;
      if (chunk.length === 0) continue;
      writing = this.engine
        .bulkUpsert(
          index,
          chunk.map(({ id, document }) => ({ id, document })),
        )
        .then((outcome) => fillResults(results, chunk, outcome));
      // Awaited by the next chunk or at the end; a failure must not count as unhandled meanwhile.
      writing.catch(() => undefined);
      // Let the write's first requests go out before validating the next chunk keeps this thread busy.
      await yieldToIo();
    }
    await writing;
    return summarize(results);
  }

  /**
   * Imports a stream of batches (the CLI's import): each batch is validated like importDocuments, then handed to
   * the engine's bulk load when it has one (an empty index is built once at the end), else written batch by
   * batch. `hooks.written` gets each batch's per-item results in order; `hooks.durable` the running total of
   * documents that are durable. Resolves when everything reported as indexed is durable.
   */
  async importStream(
    index: string,
    batches: AsyncIterable<(unknown | SiftError)[]>,
    hooks: { written(result: BatchResult): void; durable(documents: number): void },
  ): Promise<{ mode: BulkLoadMode }> {
    const schema = await this.schemaOf(index);
    const engine = this.engine;
    if (!engine.bulkLoad) {
      let durable = 0;
      for await (const items of batches) {
        const result = await this.importDocuments(index, items);
        durable += result.indexed;
        hooks.written(result);
        hooks.durable(durable);
      }
      return { mode: 'batches' };
    }
    // Batches validated and handed to the engine, waiting for the engine to report them written.
    const inFlight: CheckedBatch[] = [];
    const withVectors = this.withVectors.bind(this);
    async function* checked(): AsyncGenerator<BulkItem[]> {
      for await (const items of batches) {
        const batch = checkBatch(schema, items);
        batch.good = await withVectors(schema, batch.good, batch.results);
        inFlight.push(batch);
        // A checked item is a bulk item with its position in the batch, which the engine does not look at.
        yield batch.good;
      }
    }
    const mode = await engine.bulkLoad(index, checked(), {
      written: (outcome) => {
        const batch = inFlight.shift()!;
        fillResults(batch.results, batch.good, outcome);
        hooks.written(summarize(batch.results));
      },
      durable: hooks.durable,
    });
    return { mode };
  }
}
