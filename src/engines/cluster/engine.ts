import { setTimeout as sleep } from 'node:timers/promises';
import { SiftError } from '../../errors.js';
import type {
  KnnCandidate,
  KnnRequest,
  SearchRequest,
  SearchResult,
  SuggestRequest,
  Suggestion,
} from '../../query/types.js';
import type { Document } from '../../schema/document.js';
import type { IndexSchema } from '../../schema/types.js';
import type {
  BulkItem,
  BulkItemResult,
  BulkLoadHooks,
  BulkLoadMode,
  ByFilterOutcome,
  ByFilterRequest,
  Engine,
  EngineHealth,
  IndexInfo,
  ReindexOptions,
  ReindexResult,
  WriteOptions,
} from '../engine.js';
import { loadIntoCluster } from './bulk-load.js';
import { encodeOp, runBulk, type BulkOp, type BulkOptions, type BulkOutcome } from './bulk.js';
import { collectMatches, type CollectContext } from './by-filter.js';
import { IndexCatalogue, type Resolved } from './catalogue.js';
import { runKnn } from './knn.js';
import { checkFieldNames, derivedShape, docId, fromSource, mappingsFor, toSource } from './mapping.js';
import { copyAndSwitch, switchBack, type ReindexContext } from './reindex.js';
import { replayWrites } from './replay.js';
import { runSearch, runSuggest, type SearchContext } from './search.js';
import { ReindexMarkers } from './system.js';
import type { ClusterTransport } from './transport.js';
import { errorReason, errorType } from './transport.js';
import { healthServes, type LocalHealth } from './readiness.js';

/** Longest pause between two tries of a partial update that met a concurrent write, in milliseconds. */
const PATCH_BACKOFF_MS = 50;
/** Longest an import waits for its closing merge (bulk-load.ts); the merge itself goes on past it. */
const MERGE_WAIT_MS = 30 * 60_000;

export interface ClusterEngineOptions {
  transport: ClusterTransport;
  /** Prefix of every index and alias Sift creates. */
  prefix?: string;
  refresh: BulkOptions['refresh'];
  bulk: Pick<BulkOptions, 'maxDocs' | 'maxBytes' | 'concurrency' | 'retries'>;
  /** Longest a search may run in the cluster; past it the answer is partial. */
  searchTimeoutMs: number;
  /** Longest a write request may take. */
  writeTimeoutMs: number;
  maxResultWindow?: number;
  /** Replicas of new indexes: a count or an auto-expand range (mapping.ts settingsFor). */
  replicas?: string;
  /** Force-merge an index an import loaded from empty (bulk-load.ts). */
  mergeAfterLoad?: boolean;
  /** Where partial results and replay failures are reported. */
  log?: { warn(obj: object, msg: string): void };
}

/**
 * The Elasticsearch and OpenSearch engine: one implementation over a ClusterTransport. A logical index is an
 * alias over physical versions `<name>-v<N>`; the schema and bookkeeping live in each version's mapping `_meta`.
 */
export class ClusterEngine implements Engine {
  readonly name: string;
  /** Names, versions and schemas of the indexes in the cluster. */
  readonly catalogue: IndexCatalogue;
  readonly markers: ReindexMarkers;
  private readonly t: ClusterTransport;
  private versionText: string | null = null;
  /** What searches and suggestions run with; built once, so a search allocates nothing for it. */
  private readonly context: SearchContext;
  private readonly reindexContext: ReindexContext;

  constructor(readonly opts: ClusterEngineOptions) {
    this.t = opts.transport;
    this.name = opts.transport.product;
    this.catalogue = new IndexCatalogue(this.t, {
      ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
      ...(opts.maxResultWindow !== undefined ? { maxResultWindow: opts.maxResultWindow } : {}),
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
    });
    this.markers = new ReindexMarkers(this.t, this.catalogue.names, opts.replicas);
    this.context = {
      transport: this.t,
      alias: (name) => this.catalogue.names.alias(name),
      timeoutMs: opts.searchTimeoutMs,
      check: (res, what, index) => this.catalogue.check(res, what, index),
      ...(opts.log ? { log: opts.log } : {}),
    };
    this.reindexContext = {
      catalogue: this.catalogue,
      markers: this.markers,
      bulk: { ...opts.bulk, timeoutMs: opts.writeTimeoutMs },
      reindexing: new Set(),
    };
  }

  get transport(): ClusterTransport {
    return this.t;
  }

  async open(): Promise<void> {
    // Nothing to do: the cluster may come up after Sift, and readiness reports when it does.
  }

  async close(): Promise<void> {
    await this.t.close();
  }

  /**
   * `elasticsearch 8.19.9` from the root endpoint, or from the node's own info where the root endpoint is missing
   * (Elasticsearch 8 serves `GET /` from its `rest-root` module, which a minimal distribution such as the
   * integ-test-zip leaves out: it answers 405, and readiness would never come up).
   */
  private async versionOf(): Promise<string> {
    const root = await this.t.request<{ version?: { number?: string; distribution?: string } }>(
      { method: 'GET', path: '/' },
      { timeoutMs: 5000 },
    );
    if (root.status === 200) {
      return `${root.body.version?.distribution ?? this.name} ${root.body.version?.number ?? '?'}`;
    }
    const local = this.catalogue.check(
      await this.t.request<{ nodes?: Record<string, { version?: string }> }>(
        { method: 'GET', path: '/_nodes/_local', querystring: { filter_path: 'nodes.*.version' } },
        { timeoutMs: 5000 },
      ),
      'info',
    );
    return `${this.name} ${Object.values(local.body.nodes ?? {})[0]?.version ?? '?'}`;
  }

  async health(): Promise<EngineHealth> {
    try {
      if (!this.versionText) this.versionText = await this.versionOf();
      // The node's own view of the cluster (`local`): the default asks the elected manager, so a manager that
      // hangs would take readiness down with it although the other nodes serve. Which colours serve: readiness.ts.
      const res = await this.t.request<LocalHealth>(
        { method: 'GET', path: '/_cluster/health', querystring: { timeout: '2s', local: true } },
        { timeoutMs: 5000 },
      );
      const serves =
        res.status === 200
          ? healthServes(res.body)
          : { ok: false, detail: `cluster health is http ${res.status}` };
      return {
        ok: serves.ok,
        engine: this.name,
        version: this.versionText,
        ...(serves.detail ? { detail: serves.detail } : {}),
      };
    } catch (err) {
      return {
        ok: false,
        engine: this.name,
        version: this.versionText ?? 'unknown',
        detail: err instanceof Error ? err.message : String(err),
      };
    }
  }

  // ---- Index lifecycle ----

  private async info(r: Resolved): Promise<IndexInfo> {
    const [count, stats, generation, versions] = await Promise.all([
      this.t.request<{ count: number }>({
        method: 'GET',
        path: `/${encodeURIComponent(r.physical)}/_count`,
      }),
      this.t.request<{ indices?: Record<string, { primaries?: { store?: { size_in_bytes?: number } } }> }>({
        method: 'GET',
        path: `/${encodeURIComponent(r.physical)}/_stats/store`,
      }),
      this.catalogue.generationOf(r),
      this.catalogue.versions(r.meta.index),
    ]);
    this.catalogue.check(count, 'count', r.meta.index);
    const previous = r.meta.previous_version ?? null;
    return {
      name: r.meta.index,
      schema: r.meta.schema,
      documents: count.body.count,
      size_bytes: stats.body.indices?.[r.physical]?.primaries?.store?.size_in_bytes ?? null,
      created_at: r.meta.created_at,
      generation,
      version: r.meta.version,
      previous_version: previous !== null && versions.has(previous) ? previous : null,
    };
  }

  /** The schema alone: one mapping request, where getIndex adds counts, sizes, the generation and versions. */
  async getSchema(name: string): Promise<IndexSchema | null> {
    return this.catalogue.schemaOf(name);
  }

  async getIndex(name: string): Promise<IndexInfo | null> {
    const r = await this.catalogue.resolve(name);
    return r ? this.info(r) : null;
  }

  async hasIndex(name: string): Promise<boolean> {
    return (await this.catalogue.resolve(name)) !== null;
  }

  async generation(name: string): Promise<number> {
    return this.catalogue.generation(name);
  }

  async listIndexes(): Promise<IndexInfo[]> {
    const names = await this.catalogue.listNames();
    const infos = await Promise.all(names.map((n) => this.getIndex(n)));
    return infos.filter((i): i is IndexInfo => i !== null);
  }

  async putIndex(name: string, schema: IndexSchema): Promise<{ created: boolean }> {
    try {
      return await this.putIndexNow(name, schema);
    } finally {
      this.catalogue.forgetResolved(name);
    }
  }

  private async putIndexNow(name: string, schema: IndexSchema): Promise<{ created: boolean }> {
    checkFieldNames(schema);
    const existing = await this.catalogue.resolve(name);
    if (!existing) {
      const stale = await this.catalogue.versions(name);
      const version = Math.max(0, ...stale.keys()) + 1;
      await this.catalogue.createVersion(
        name,
        schema,
        { index: name, version, schema, created_at: new Date().toISOString(), generation_base: 0 },
        true,
      );
      return { created: true };
    }
    // New searchable, exact-match, suggest or keyword-copy fields need every document re-derived: a reindex
    // builds the next version with the new schema while the current one keeps serving.
    if (derivedShape(existing.meta.schema) !== derivedShape(schema)) {
      await this.reindex(name, { schema });
      return { created: false };
    }
    // Sequence numbers keep counting in this version, so the schema change itself adds one to the generation.
    const mappings = mappingsFor(
      schema,
      { ...existing.meta, schema, generation_base: existing.meta.generation_base + 1 },
      this.t.product,
    );
    const res = await this.t.request({
      method: 'PUT',
      path: `/${encodeURIComponent(existing.physical)}/_mapping`,
      body: { _meta: mappings._meta, properties: mappings.properties },
    });
    if (res.status === 400) {
      throw new SiftError(
        'SCHEMA_MISMATCH',
        `the cluster refused the schema change: ${errorReason(res.body)}`,
        {
          index: name,
        },
      );
    }
    this.catalogue.check(res, 'update mapping', name);
    return { created: false };
  }

  async dropIndex(name: string): Promise<boolean> {
    try {
      return await this.dropIndexNow(name);
    } finally {
      this.catalogue.forgetResolved(name);
    }
  }

  private async dropIndexNow(name: string): Promise<boolean> {
    const versions = await this.catalogue.versions(name);
    const live = await this.catalogue.resolve(name);
    if (!live && versions.size === 0) return false;
    const all = [...new Set([...versions.values(), ...(live ? [live.physical] : [])])];
    const res = await this.t.request({
      method: 'DELETE',
      path: `/${all.map(encodeURIComponent).join(',')}`,
      querystring: { ignore_unavailable: true },
    });
    this.catalogue.check(res, 'delete index');
    await this.markers.clear(name);
    return live !== null;
  }

  // ---- Writes ----

  private bulkOptions(opts?: WriteOptions): BulkOptions {
    return {
      ...this.opts.bulk,
      refresh: opts?.refresh === false ? 'false' : opts?.refresh === true ? 'wait_for' : this.opts.refresh,
      timeoutMs: this.opts.writeTimeoutMs,
    };
  }

  /**
   * Writes through the alias, then looks for a reindex of this index: while one copies (or just switched), the
   * writes that landed in one version are carried to the other (replay.ts).
   */
  private async write(name: string, ops: BulkOp[], opts?: WriteOptions): Promise<BulkOutcome[]> {
    const policy = this.bulkOptions(opts);
    const outcomes = await runBulk(this.t, ops, policy);
    const marker = await this.markers.current(name);
    if (marker) {
      const ctx = { transport: this.t, markers: this.markers, log: this.opts.log };
      await replayWrites(ctx, name, marker, ops, outcomes, policy);
    }
    return outcomes;
  }

  async upsert(index: string, item: BulkItem, opts?: WriteOptions): Promise<{ created: boolean }> {
    const [result] = await this.bulkUpsert(index, [item], opts);
    if (result!.error) throw new SiftError(result!.error.code, result!.error.message, { index, id: item.id });
    return { created: result!.created };
  }

  async bulkUpsert(index: string, items: BulkItem[], opts?: WriteOptions): Promise<BulkItemResult[]> {
    if (!items.length) return [];
    return (await this.prepareUpsert(index, items, false))(opts);
  }

  /**
   * The operations of an upsert, translated and encoded now (`eager`) or as each request is built, and the write
   * that sends them.
   */
  private async prepareUpsert(
    index: string,
    items: BulkItem[],
    eager: boolean,
  ): Promise<(opts?: WriteOptions) => Promise<BulkItemResult[]>> {
    const r = await this.catalogue.require(index);
    const alias = this.catalogue.names.alias(index);
    const { schema } = r.meta;
    const ops: BulkOp[] = items.map((item) => ({
      action: 'index',
      index: alias,
      id: docId(item.id),
      source: () => toSource(schema, item.id, item.document),
    }));
    if (eager) for (const op of ops) op.encoded = encodeOp(op);
    return async (opts) => {
      const outcomes = await this.write(index, ops, opts);
      return outcomes.map((o) =>
        o.ok ? { created: o.created ?? false } : { created: false, error: o.error! },
      );
    };
  }

  /** See bulk-load.ts: batch after batch without a refresh wait, one refresh at the end, a merge when it was empty. */
  async bulkLoad(
    index: string,
    batches: AsyncIterable<BulkItem[]>,
    hooks: BulkLoadHooks,
  ): Promise<BulkLoadMode> {
    await this.catalogue.require(index);
    return loadIntoCluster(
      {
        transport: this.t,
        alias: this.catalogue.names.alias(index),
        prepare: async (items) => {
          const write = await this.prepareUpsert(index, items, true);
          return () => write({ refresh: false });
        },
        pipeline: { pieceDocs: this.opts.bulk.maxDocs, slots: this.opts.bulk.concurrency },
        mergeAfterLoad: this.opts.mergeAfterLoad ?? true,
        mergeTimeoutMs: MERGE_WAIT_MS,
        ...(this.opts.log ? { log: this.opts.log } : {}),
      },
      batches,
      hooks,
    );
  }

  async get(index: string, id: string): Promise<Document | null> {
    const r = await this.catalogue.require(index);
    const res = await this.t.request<{ found?: boolean; _source?: Document }>({
      method: 'GET',
      path: `/${encodeURIComponent(this.catalogue.names.alias(index))}/_doc/${encodeURIComponent(docId(id))}`,
    });
    if (res.status === 404 && errorType(res.body) === 'index_not_found_exception')
      throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });
    if (res.status === 404) return null;
    this.catalogue.check(res, 'get document', index);
    return res.body.found && res.body._source ? fromSource(r.meta.schema, res.body._source) : null;
  }

  /**
   * Optimistic concurrency: read the document with its sequence number and primary term, change it, write it
   * only over that version; on a conflict (another write came between) read and change again. Writes go through
   * `write`, so a reindex under way carries them to the new version like any other.
   */
  async patch(
    index: string,
    id: string,
    change: (current: Document) => Document,
    opts?: WriteOptions,
  ): Promise<Document | null> {
    // Tries go on for as long as one write may take: under heavy contention each round lets one writer through.
    const deadline = performance.now() + this.opts.writeTimeoutMs;
    for (let attempt = 0; attempt === 0 || performance.now() < deadline; attempt++) {
      const r = await this.catalogue.require(index);
      const res = await this.t.request<{
        found?: boolean;
        _source?: Document;
        _seq_no?: number;
        _primary_term?: number;
      }>({
        method: 'GET',
        path: `/${encodeURIComponent(this.catalogue.names.alias(index))}/_doc/${encodeURIComponent(docId(id))}`,
      });
      if (res.status === 404 && errorType(res.body) === 'index_not_found_exception')
        throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });
      if (res.status === 404 || (res.status < 300 && !res.body.found)) return null;
      this.catalogue.check(res, 'get document', index);
      const schema = r.meta.schema;
      const next = { ...change(fromSource(schema, res.body._source ?? {})), [schema.id_field]: id };
      const [outcome] = await this.write(
        index,
        [
          {
            action: 'index',
            index: this.catalogue.names.alias(index),
            id: docId(id),
            source: toSource(schema, id, next),
            ifSeqNo: res.body._seq_no!,
            ifPrimaryTerm: res.body._primary_term!,
          },
        ],
        opts,
      );
      if (outcome!.ok) return next;
      if (outcome!.status !== 409)
        throw new SiftError(outcome!.error!.code, outcome!.error!.message, { index, id });
      // Someone else wrote the document between the read and the write: back off a little, then start over.
      await sleep(Math.random() * Math.min(PATCH_BACKOFF_MS, 2 * (attempt + 1)));
    }
    throw new SiftError(
      'PATCH_CONFLICT',
      `document "${id}" of index "${index}" kept changing for ${this.opts.writeTimeoutMs} ms of tries to patch it; retry`,
      { index, id },
    );
  }

  async delete(index: string, id: string, opts?: WriteOptions): Promise<boolean> {
    await this.catalogue.require(index);
    const [outcome] = await this.write(
      index,
      [{ action: 'delete', index: this.catalogue.names.alias(index), id: docId(id) }],
      opts,
    );
    if (!outcome!.ok) throw new SiftError(outcome!.error!.code, outcome!.error!.message, { index, id });
    return outcome!.found ?? false;
  }

  // ---- Writes by filter (src/engines/cluster/by-filter.ts) ----

  /**
   * Search, then bulk: the matches' ids are collected (an exact count first, refused above the limit), then
   * deleted through `write`, like every other write. Not `_delete_by_query`: it cannot refuse before deleting
   * when the matches are more than the limit (`max_docs` deletes an arbitrary part instead), and its deletes
   * would bypass the replay that carries writes into a version a reindex is building.
   */
  async deleteByFilter(
    index: string,
    request: ByFilterRequest,
    opts?: WriteOptions,
  ): Promise<ByFilterOutcome> {
    const r = await this.catalogue.require(index);
    const alias = this.catalogue.names.alias(index);
    const matches = await collectMatches(
      this.collectContext,
      index,
      alias,
      r.meta.schema,
      request.filter,
      request.limit,
      false,
    );
    if (!matches.length) return { matched: 0, changed: 0 };
    const outcomes = await this.write(
      index,
      matches.map((m) => ({ action: 'delete', index: alias, id: m.docId })),
      opts,
    );
    const failed = outcomes.find((o) => !o.ok);
    if (failed) throw new SiftError(failed.error!.code, failed.error!.message, { index });
    return { matched: matches.length, changed: outcomes.filter((o) => o.found).length };
  }

  /**
   * Search, then bulk: every match is changed from the source it was read with and written only over that
   * version (`if_seq_no`); one that another write changed in between is patched again from its new version
   * (`patch`), so no concurrent write is lost. Not `_update_by_query`: its script would have to rebuild the
   * hidden derived fields (`toSource`) in Painless, and it writes around the reindex replay.
   */
  async updateByFilter(
    index: string,
    request: ByFilterRequest,
    change: (current: Document) => Document,
    opts?: WriteOptions,
  ): Promise<ByFilterOutcome> {
    const r = await this.catalogue.require(index);
    const schema = r.meta.schema;
    const alias = this.catalogue.names.alias(index);
    const matches = await collectMatches(
      this.collectContext,
      index,
      alias,
      schema,
      request.filter,
      request.limit,
      true,
    );
    if (!matches.length) return { matched: 0, changed: 0 };
    const ids = matches.map((m) => String(fromSource(schema, m.source!)[schema.id_field]));
    // Every change is computed before anything is written, so a throwing one writes nothing.
    const ops: BulkOp[] = matches.map((m, i) => {
      const id = ids[i]!;
      const next = { ...change(fromSource(schema, m.source!)), [schema.id_field]: id };
      return {
        action: 'index',
        index: alias,
        id: m.docId,
        source: toSource(schema, id, next),
        ifSeqNo: m.seqNo,
        ifPrimaryTerm: m.primaryTerm,
      };
    });
    const outcomes = await this.write(index, ops, opts);
    let changed = 0;
    for (const [i, o] of outcomes.entries()) {
      if (o.ok) changed++;
      else if (o.status === 409) {
        if (await this.patch(index, ids[i]!, change, opts)) changed++;
      } else throw new SiftError(o.error!.code, o.error!.message, { index, id: ids[i] });
    }
    return { matched: matches.length, changed };
  }

  private get collectContext(): CollectContext {
    return {
      transport: this.t,
      check: (res, what, index) => this.catalogue.check(res, what, index),
      timeoutMs: this.opts.writeTimeoutMs,
    };
  }

  // ---- Reindex ----

  async reindex(name: string, opts: ReindexOptions = {}): Promise<ReindexResult> {
    try {
      return await copyAndSwitch(this.reindexContext, name, opts);
    } finally {
      this.catalogue.forgetResolved(name);
    }
  }

  async rollbackReindex(name: string): Promise<ReindexResult> {
    try {
      return await switchBack(this.reindexContext, name);
    } finally {
      this.catalogue.forgetResolved(name);
    }
  }

  // ---- Search (src/engines/cluster/search.ts) ----

  async search(index: string, request: SearchRequest): Promise<SearchResult> {
    const r = await this.catalogue.requireForRead(index);
    return runSearch(this.context, index, r.meta.schema, request);
  }

  async knn(index: string, request: KnnRequest): Promise<KnnCandidate[]> {
    const r = await this.catalogue.requireForRead(index);
    return runKnn(this.context, index, r.meta.schema, request);
  }

  async suggest(index: string, request: SuggestRequest): Promise<Suggestion[]> {
    const r = await this.catalogue.requireForRead(index);
    return runSuggest(this.context, index, r.meta.schema, request);
  }
}
