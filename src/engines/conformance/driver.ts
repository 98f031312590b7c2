/**
 * How the conformance suite talks to an engine: raw requests are checked and built by the query and schema
 * layers (the same functions the service calls), then go straight to the engine. The suite therefore tests the
 * engine with the whole query model in front of it, and never reaches above the engine layer.
 */
import { SiftError } from '../../errors.js';
import { CursorKeys } from '../../query/cursor.js';
import { buildSearchRequest, DEFAULT_LIMITS, type RawSearchInput } from '../../query/request.js';
import type { SearchResponse } from '../../query/response.js';
import {
  multiSearch,
  type FederatedResults,
  type MultiSearchBody,
  type MultiSearchResults,
} from '../../query/multi-search.js';

import { answerSearch } from '../../query/search-answer.js';
import { searchPorts } from '../search-ports.js';
import { checkCurationFilters } from '../../query/curation.js';
import { parseCurations } from '../../schema/curations.js';
import type { Suggestion } from '../../query/types.js';
import { checkDocument, checkId, type Document } from '../../schema/document.js';
import type { CurationRule, IndexSchema, RelevanceSettings } from '../../schema/types.js';
import { parseSettings, settingsOf } from '../../schema/settings.js';
import { assertCompatible, parseSchema } from '../../schema/validate.js';
import { checkBatch, fillResults, summarize, type BatchResult } from '../batch.js';
import type { Engine, IndexInfo, ReindexOptions, ReindexResult } from '../engine.js';
import { exportDocuments, type ExportOptions } from '../export.js';
import {
  deleteByFilter,
  updateByFilter,
  type ByFilterInput,
  type DeleteByFilterAnswer,
  type UpdateByFilterAnswer,
  type UpdateByFilterInput,
} from '../by-filter.js';
import { patchDocument, patchDocuments, type PatchBatchResult } from '../patch.js';

const notFound = (index: string) =>
  new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });

export class EngineDriver {
  private readonly keys = CursorKeys.ephemeral();
  // The suite changes schemas only through this driver, which forgets an index's schema whenever it does; so,
  // like the service, it reads a schema once rather than on every write of a write load.
  private readonly schemas = new Map<string, IndexSchema>();

  constructor(readonly engine: Engine) {}

  private async schemaOf(index: string): Promise<IndexSchema> {
    const known = this.schemas.get(index);
    if (known) return known;
    const schema = this.engine.getSchema
      ? await this.engine.getSchema(index)
      : ((await this.engine.getIndex(index))?.schema ?? null);
    if (!schema) throw notFound(index);
    this.schemas.set(index, schema);
    return schema;
  }

  /** Runs a call that may change the index's schema, forgetting the known one whatever the outcome. */
  private async changing<T>(index: string, call: () => Promise<T>): Promise<T> {
    this.schemas.delete(index);
    try {
      return await call();
    } finally {
      this.schemas.delete(index);
    }
  }

  async search(index: string, input: RawSearchInput): Promise<SearchResponse> {
    const startedAt = performance.now();
    const schema = await this.schemaOf(index);
    const { request, fingerprint, curatedPosition } = buildSearchRequest(input, schema, undefined, {
      index,
      keys: this.keys,
    });
    // Curation rules and kNN ranking apply above the engine, in the query layer, as the service applies them.
    return answerSearch(searchPorts(this.engine, index), schema, request, request.filter, curatedPosition, {
      index,
      fingerprint,
      keys: this.keys,
      startedAt,
    });
  }

  /** Several searches, each through `search` above, answered together or federated, as the service's route does. */
  multiSearch(body: MultiSearchBody): Promise<MultiSearchResults | FederatedResults> {
    return multiSearch(body, {
      search: (index, input) => this.search(index, input),
      maxPageSize: DEFAULT_LIMITS.maxPageSize,
    });
  }

  async suggest(index: string, q: string, size: number): Promise<{ suggestions: Suggestion[] }> {
    await this.schemaOf(index);
    return { suggestions: await this.engine.suggest(index, { prefix: q.trim(), size }) };
  }

  listIndexes(): Promise<IndexInfo[]> {
    return this.engine.listIndexes();
  }

  async getIndex(index: string): Promise<IndexInfo> {
    const info = await this.engine.getIndex(index);
    if (!info) throw notFound(index);
    return info;
  }

  putIndex(index: string, rawSchema: unknown): Promise<{ created: boolean }> {
    const schema = parseSchema(rawSchema);
    return this.changing(index, async () => {
      const existing = await this.engine.getIndex(index);
      if (existing) assertCompatible(existing.schema, schema);
      return this.engine.putIndex(index, schema);
    });
  }

  /** The index's relevance settings, defaults filled in. */
  async getSettings(index: string): Promise<RelevanceSettings> {
    this.schemas.delete(index);
    return settingsOf(await this.schemaOf(index));
  }

  /** Replaces the relevance settings (a key left out goes back to its default): a compatible schema change. */
  async putSettings(index: string, raw: unknown): Promise<RelevanceSettings> {
    const current = (await this.getIndex(index)).schema;
    const settings = parseSettings(raw, current.fields);
    await this.putIndex(index, { ...current, ...settings });
    return settings;
  }

  /** Replaces the curation rules (pinned and hidden results): a compatible schema change, as in the service. */
  async putCurations(index: string, raw: unknown): Promise<CurationRule[]> {
    const current = (await this.getIndex(index)).schema;
    const curations = parseCurations(raw);
    checkCurationFilters(curations, current);
    await this.putIndex(index, { ...current, curations });
    return curations;
  }

  dropIndex(index: string): Promise<void> {
    return this.changing(index, async () => {
      if (!(await this.engine.dropIndex(index))) throw notFound(index);
    });
  }

  reindex(
    index: string,
    rawSchema?: unknown,
    onProgress?: ReindexOptions['onProgress'],
  ): Promise<ReindexResult> {
    const schema = rawSchema === undefined ? undefined : parseSchema(rawSchema);
    return this.changing(index, () =>
      this.engine.reindex(index, { ...(schema ? { schema } : {}), ...(onProgress ? { onProgress } : {}) }),
    );
  }

  rollbackReindex(index: string): Promise<ReindexResult> {
    return this.changing(index, () => this.engine.rollbackReindex(index));
  }

  async putDocument(index: string, id: string, raw: unknown): Promise<{ created: boolean; id: string }> {
    const doc = checkDocument(await this.schemaOf(index), raw, id);
    return { created: (await this.engine.upsert(index, doc)).created, id: doc.id };
  }

  async getDocument(index: string, id: string): Promise<{ id: string; document: Document }> {
    await this.schemaOf(index);
    const document = await this.engine.get(index, checkId(id));
    if (!document)
      throw new SiftError('DOCUMENT_NOT_FOUND', `document "${id}" does not exist in index "${index}"`, {
        index,
        id,
      });
    return { id, document };
  }

  async deleteDocument(index: string, id: string): Promise<void> {
    await this.schemaOf(index);
    if (!(await this.engine.delete(index, checkId(id))))
      throw new SiftError('DOCUMENT_NOT_FOUND', `document "${id}" does not exist in index "${index}"`, {
        index,
        id,
      });
  }

  async patchDocument(index: string, id: string, raw: unknown): Promise<Document> {
    return patchDocument(this.engine, await this.schemaOf(index), index, id, raw);
  }

  async patchDocuments(index: string, items: unknown[]): Promise<PatchBatchResult> {
    return patchDocuments(this.engine, await this.schemaOf(index), index, items);
  }

  async deleteByFilter(index: string, input: ByFilterInput): Promise<DeleteByFilterAnswer> {
    return deleteByFilter(this.engine, await this.schemaOf(index), DEFAULT_LIMITS, index, input);
  }

  async updateByFilter(index: string, input: UpdateByFilterInput): Promise<UpdateByFilterAnswer> {
    return updateByFilter(this.engine, await this.schemaOf(index), DEFAULT_LIMITS, index, input);
  }

  /** The whole export, collected: the suite's indexes are small. */
  async exportDocuments(index: string, opts: ExportOptions = {}): Promise<Document[]> {
    const out: Document[] = [];
    const schema = await this.schemaOf(index);
    for await (const { document } of exportDocuments(this.engine, index, schema, DEFAULT_LIMITS, opts))
      out.push(document);
    return out;
  }

  /** Checks every item against the schema, writes the good ones in one bulk call, reports all by position. */
  async importDocuments(index: string, items: (unknown | SiftError)[]): Promise<BatchResult> {
    const { results, good } = checkBatch(await this.schemaOf(index), items);
    if (good.length) {
      const outcome = await this.engine.bulkUpsert(
        index,
        good.map(({ id, document }) => ({ id, document })),
      );
      fillResults(results, good, outcome);
    }
    return summarize(results);
  }
}
