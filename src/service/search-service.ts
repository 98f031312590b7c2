import { SiftError } from '../errors.js';
import type { Engine, IndexInfo } from '../engines/engine.js';
import { encodeCursor } from '../query/cursor.js';
import {
  buildSearchRequest,
  DEFAULT_LIMITS,
  type QueryLimits,
  type RawSearchInput,
} from '../query/request.js';
import type { FacetResult, Suggestion } from '../query/types.js';
import { checkDocument, checkId, CONTROL, type Document } from '../schema/document.js';
import type { IndexSchema } from '../schema/types.js';
import { assertCompatible, parseSchema } from '../schema/validate.js';
import { checkIndexName } from './index-name.js';

export interface SearchResponse {
  hits: { id: string; score: number | null; document: Document; highlights?: Record<string, string[]> }[];
  total: number;
  total_relation: 'eq' | 'gte';
  facets: Record<string, FacetResult>;
  next_cursor: string | null;
  took_ms: number;
  partial: boolean;
}

export interface BatchItemResult {
  index: number;
  id: string | null;
  status: number;
  result?: 'created' | 'updated';
  error?: { code: string; message: string; details?: Record<string, unknown> };
}
export interface BatchResult {
  indexed: number;
  failed: number;
  items: BatchItemResult[];
}

/** One batch is written as engine calls of at most this many documents. */
const WRITE_CHUNK = 5000;

/**
 * The search service: validation against the index schema, then the engine, then the response shape of the
 * HTTP contract. Everything above it (HTTP, CLI) speaks raw input; everything below (engines) speaks the model.
 */
export class SearchService {
  // Schemas are read on every request; keep them in memory and refresh on index changes made through here.
  private readonly schemas = new Map<string, IndexSchema>();

  constructor(
    readonly engine: Engine,
    private readonly limits: QueryLimits = DEFAULT_LIMITS,
  ) {}

  async schemaOf(index: string): Promise<IndexSchema> {
    checkIndexName(index);
    const cached = this.schemas.get(index);
    if (cached) return cached;
    const info = await this.engine.getIndex(index);
    if (!info) throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });
    this.schemas.set(index, info.schema);
    return info.schema;
  }

  async search(index: string, input: RawSearchInput): Promise<SearchResponse> {
    const started = performance.now();
    const schema = await this.schemaOf(index);
    const { request, fingerprint } = buildSearchRequest(input, schema, this.limits);
    const result = await this.engine.search(index, request);
    const last = result.hits.at(-1);
    // A full page may have more behind it; a short page is the end.
    const more = last !== undefined && result.hits.length === request.size;
    return {
      hits: result.hits.map((h) => ({
        id: h.id,
        score: h.score,
        document: h.document,
        ...(h.highlights ? { highlights: h.highlights } : {}),
      })),
      total: result.total,
      total_relation: result.total_relation,
      facets: result.facets,
      next_cursor: more ? encodeCursor({ values: last.sortValues, id: last.id }, fingerprint) : null,
      took_ms: Math.round((performance.now() - started) * 100) / 100,
      partial: result.partial,
    };
  }

  async suggest(index: string, q: string, size = 5): Promise<{ suggestions: Suggestion[] }> {
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
    return { suggestions: await this.engine.suggest(index, { prefix, size }) };
  }

  async listIndexes(): Promise<IndexInfo[]> {
    return this.engine.listIndexes();
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

  async dropIndex(index: string): Promise<void> {
    checkIndexName(index);
    this.schemas.delete(index);
    if (!(await this.engine.dropIndex(index)))
      throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });
  }

  async putDocument(index: string, id: string, raw: unknown): Promise<{ created: boolean; id: string }> {
    const schema = await this.schemaOf(index);
    const doc = checkDocument(schema, raw, id);
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
   * Validates every item, stores the good ones and reports the bad ones by position. Items that arrived as
   * unparseable lines come in as SiftError values so they are reported in place. When it resolves, every item
   * reported as indexed is durable.
   */
  async importDocuments(index: string, items: (unknown | SiftError)[]): Promise<BatchResult> {
    const schema = await this.schemaOf(index);
    const results: BatchItemResult[] = new Array(items.length);
    let pending: { pos: number; id: string; document: Document }[] = [];
    // Within one batch the last occurrence of an id wins, as it would if the items were sent one by one.
    const flush = async () => {
      if (!pending.length) return;
      const outcome = await this.engine.bulkUpsert(
        index,
        pending.map(({ id, document }) => ({ id, document })),
      );
      pending.forEach((p, i) => {
        results[p.pos] = {
          index: p.pos,
          id: p.id,
          status: outcome[i]!.created ? 201 : 200,
          result: outcome[i]!.created ? 'created' : 'updated',
        };
      });
      pending = [];
    };
    for (let pos = 0; pos < items.length; pos++) {
      const item = items[pos];
      try {
        if (item instanceof SiftError) throw item;
        const doc = checkDocument(schema, item);
        pending.push({ pos, ...doc });
      } catch (err) {
        if (!(err instanceof SiftError)) throw err;
        const rawId =
          typeof item === 'object' && item !== null && !(item instanceof SiftError)
            ? (item as Record<string, unknown>)[schema.id_field]
            : undefined;
        results[pos] = {
          index: pos,
          id: typeof rawId === 'string' ? rawId : null,
          status: err.status,
          error: err.toBody().error,
        };
      }
      if (pending.length >= WRITE_CHUNK) await flush();
    }
    await flush();
    const failed = results.filter((r) => r.error).length;
    return { indexed: results.length - failed, failed, items: results };
  }
}
