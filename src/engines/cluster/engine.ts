import { SiftError } from '../../errors.js';
import type { SearchRequest, SearchResult, SuggestRequest, Suggestion } from '../../query/types.js';
import { checkDocument, type Document } from '../../schema/document.js';
import type { IndexSchema } from '../../schema/types.js';
import type {
  BulkItem,
  BulkItemResult,
  Engine,
  EngineHealth,
  IndexInfo,
  ReindexOptions,
  ReindexResult,
  WriteOptions,
} from '../engine.js';
import { runBulk, type BulkOp, type BulkOptions, type BulkOutcome } from './bulk.js';
import { Names } from './names.js';
import {
  checkFieldNames,
  derivedShape,
  docId,
  fromSource,
  mappingsFor,
  settingsFor,
  toSource,
  type IndexMeta,
} from './mapping.js';
import { runSearch, runSuggest, type SearchContext } from './search.js';
import { copyAndSwitch, switchBack } from './reindex.js';
import { ReindexMarkers, type Marker } from './system.js';
import type { ClusterResponse, ClusterTransport } from './transport.js';
import { errorReason, errorType, unavailable } from './transport.js';

/** How long a search may reuse an alias resolution. */
const READ_RESOLVE_MS = 1000;

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
  /** Where partial results and replay failures are reported. */
  log?: { warn(obj: object, msg: string): void };
}

/** A resolved logical index: the physical version its name points at and what that version says about itself. */
export interface Resolved {
  physical: string;
  meta: IndexMeta;
}

/**
 * The Elasticsearch and OpenSearch engine: one implementation over a ClusterTransport. A logical index is an
 * alias over physical versions `<name>-v<N>`; the schema and bookkeeping live in each version's mapping `_meta`.
 */
export class ClusterEngine implements Engine {
  readonly name: string;
  readonly names: Names;
  readonly markers: ReindexMarkers;
  private readonly t: ClusterTransport;
  private versionText: string | null = null;
  /** Indexes this process is reindexing right now. */
  readonly reindexing = new Set<string>();
  private readonly readResolved = new Map<string, { resolved: Resolved; at: number }>();
  /** What searches and suggestions run with; built once, so a search allocates nothing for it. */
  private readonly context: SearchContext;

  constructor(readonly opts: ClusterEngineOptions) {
    this.t = opts.transport;
    this.name = opts.transport.product;
    this.names = new Names(opts.prefix ?? '');
    this.markers = new ReindexMarkers(this.t, this.names);
    this.context = {
      transport: this.t,
      alias: (name) => this.names.alias(name),
      timeoutMs: opts.searchTimeoutMs,
      check: (res, what, index) => this.check(res, what, index),
      ...(opts.log ? { log: opts.log } : {}),
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

  /** Turns a non-answer status into the catalogue: a missing index, an overloaded or failing cluster. */
  check<T>(res: ClusterResponse<T>, what: string, index?: string): ClusterResponse<T> {
    if (res.status < 300) return res;
    if (res.status === 404 && errorType(res.body) === 'index_not_found_exception' && index !== undefined) {
      throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });
    }
    if (res.status === 429 || res.status >= 500) {
      throw unavailable(this.name, `${what} answered ${res.status}: ${errorReason(res.body)}`);
    }
    throw new Error(`${this.name} ${what} failed with ${res.status}: ${errorReason(res.body)}`);
  }

  async health(): Promise<EngineHealth> {
    try {
      if (!this.versionText) {
        const root = this.check(
          await this.t.request<{ version?: { number?: string; distribution?: string } }>(
            { method: 'GET', path: '/' },
            { timeoutMs: 5000 },
          ),
          'info',
        );
        this.versionText = `${root.body.version?.distribution ?? this.name} ${root.body.version?.number ?? '?'}`;
      }
      const res = await this.t.request<{ status?: string }>(
        { method: 'GET', path: '/_cluster/health', querystring: { timeout: '2s' } },
        { timeoutMs: 5000 },
      );
      const status = res.body?.status ?? `http ${res.status}`;
      const ok = res.status === 200 && (status === 'green' || status === 'yellow');
      return {
        ok,
        engine: this.name,
        version: this.versionText,
        ...(ok ? {} : { detail: `cluster health is ${status}` }),
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

  /** The version a name points at, or null when the name is not a Sift index. */
  async resolve(name: string): Promise<Resolved | null> {
    const res = await this.t.request<Record<string, { mappings?: { _meta?: { sift?: IndexMeta } } }>>({
      method: 'GET',
      path: `/${encodeURIComponent(this.names.alias(name))}/_mapping`,
    });
    if (res.status === 404) return null;
    this.check(res, 'get mapping');
    const entries = Object.entries(res.body);
    if (entries.length !== 1) return null;
    const [physical, m] = entries[0]!;
    const meta = m.mappings?._meta?.sift;
    // A physical version of another index can carry this name (an index "books-v1" beside "books"): not ours.
    if (!meta || meta.index !== name || physical === this.names.alias(name)) return null;
    return { physical, meta };
  }

  /**
   * Searches and suggestions reuse a resolution for up to a second: looking the alias up costs a cluster round
   * trip, which would otherwise be most of what Sift adds to a query. Lifecycle changes made through this
   * process drop it at once; ones made by another process are seen within the second (the search itself always
   * goes through the alias, so only the schema used to translate can be that old).
   */
  private async requireForRead(name: string): Promise<Resolved> {
    const hit = this.readResolved.get(name);
    if (hit && Date.now() - hit.at < READ_RESOLVE_MS) return hit.resolved;
    const resolved = await this.require(name);
    this.readResolved.set(name, { resolved, at: Date.now() });
    return resolved;
  }

  /** Forgets cached resolutions after a lifecycle change (this process's own, or any: pass nothing). */
  forgetResolved(name?: string): void {
    if (name === undefined) this.readResolved.clear();
    else this.readResolved.delete(name);
  }

  async require(name: string): Promise<Resolved> {
    const r = await this.resolve(name);
    if (!r) throw new SiftError('INDEX_NOT_FOUND', `index "${name}" does not exist`, { index: name });
    return r;
  }

  /** Every physical version of an index, by version number. */
  async versions(name: string): Promise<Map<number, string>> {
    const res = await this.t.request<Record<string, { mappings?: { _meta?: { sift?: IndexMeta } } }>>({
      method: 'GET',
      path: `/${encodeURIComponent(this.names.versionPattern(name))}/_mapping`,
      querystring: { expand_wildcards: 'open,closed', allow_no_indices: true },
    });
    if (res.status === 404) return new Map();
    this.check(res, 'list versions');
    const out = new Map<number, string>();
    for (const [physical, m] of Object.entries(res.body)) {
      const meta = m.mappings?._meta?.sift;
      if (meta?.index === name) out.set(meta.version, physical);
    }
    return out;
  }

  async hasIndex(name: string): Promise<boolean> {
    return (await this.resolve(name)) !== null;
  }

  private async generationOf(r: Resolved): Promise<number> {
    const res = this.check(
      await this.t.request<{
        indices?: Record<string, { shards?: Record<string, { seq_no?: { max_seq_no?: number } }[]> }>;
      }>({
        method: 'GET',
        path: `/${encodeURIComponent(r.physical)}/_stats/docs`,
        querystring: { level: 'shards' },
      }),
      'stats',
      r.meta.index,
    );
    let ops = 0;
    for (const copies of Object.values(res.body.indices?.[r.physical]?.shards ?? {})) {
      // Every copy of a shard has the same history; the highest sequence number counts its operations.
      ops += Math.max(0, ...copies.map((c) => (c.seq_no?.max_seq_no ?? -1) + 1));
    }
    return r.meta.generation_base + ops;
  }

  async generation(name: string): Promise<number> {
    return this.generationOf(await this.require(name));
  }

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
      this.generationOf(r),
      this.versions(r.meta.index),
    ]);
    this.check(count, 'count', r.meta.index);
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
    return (await this.resolve(name))?.meta.schema ?? null;
  }

  async getIndex(name: string): Promise<IndexInfo | null> {
    const r = await this.resolve(name);
    return r ? this.info(r) : null;
  }

  async listIndexes(): Promise<IndexInfo[]> {
    const res = await this.t.request<Record<string, { aliases?: Record<string, unknown> }>>({
      method: 'GET',
      path: `/_alias/${encodeURIComponent(this.names.aliasPattern())}`,
    });
    if (res.status === 404) return [];
    this.check(res, 'list aliases');
    const names = new Set<string>();
    for (const entry of Object.values(res.body)) {
      for (const alias of Object.keys(entry.aliases ?? {})) {
        const name = this.names.fromAlias(alias);
        if (name !== null) names.add(name);
      }
    }
    const infos = await Promise.all([...names].sort().map((n) => this.getIndex(n)));
    return infos.filter((i): i is IndexInfo => i !== null);
  }

  /** Creates physical version `version` of an index with its mapping; `alias` also points the name at it. */
  async createVersion(name: string, schema: IndexSchema, meta: IndexMeta, alias: boolean): Promise<string> {
    const physical = this.names.physical(name, meta.version);
    const res = await this.t.request({
      method: 'PUT',
      path: `/${encodeURIComponent(physical)}`,
      body: {
        settings: settingsFor(this.opts.maxResultWindow ?? 10_000),
        mappings: mappingsFor(schema, meta),
        ...(alias ? { aliases: { [this.names.alias(name)]: {} } } : {}),
      },
    });
    if (res.status === 400 && errorType(res.body) === 'invalid_alias_name_exception') {
      throw new SiftError('INDEX_EXISTS', `"${name}" is taken by another index in the cluster`, {
        index: name,
      });
    }
    if (res.status === 400 && errorType(res.body) === 'resource_already_exists_exception') {
      throw new SiftError('INDEX_EXISTS', `index "${name}" already exists`, { index: name });
    }
    this.check(res, 'create index');
    return physical;
  }

  async putIndex(name: string, schema: IndexSchema): Promise<{ created: boolean }> {
    try {
      return await this.putIndexNow(name, schema);
    } finally {
      this.forgetResolved(name);
    }
  }

  private async putIndexNow(name: string, schema: IndexSchema): Promise<{ created: boolean }> {
    checkFieldNames(schema);
    const existing = await this.resolve(name);
    if (!existing) {
      const stale = await this.versions(name);
      const version = Math.max(0, ...stale.keys()) + 1;
      await this.createVersion(
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
    const mappings = mappingsFor(schema, {
      ...existing.meta,
      schema,
      generation_base: existing.meta.generation_base + 1,
    });
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
    this.check(res, 'update mapping', name);
    return { created: false };
  }

  async dropIndex(name: string): Promise<boolean> {
    try {
      return await this.dropIndexNow(name);
    } finally {
      this.forgetResolved(name);
    }
  }

  private async dropIndexNow(name: string): Promise<boolean> {
    const versions = await this.versions(name);
    const live = await this.resolve(name);
    if (!live && versions.size === 0) return false;
    const all = [...new Set([...versions.values(), ...(live ? [live.physical] : [])])];
    const res = await this.t.request({
      method: 'DELETE',
      path: `/${all.map(encodeURIComponent).join(',')}`,
      querystring: { ignore_unavailable: true },
    });
    this.check(res, 'delete index');
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
   * writes that landed in the old version are replayed onto the new one with the old version's sequence number as
   * an external version, so neither the copy nor a slower replay can overwrite a newer write.
   */
  private async write(name: string, ops: BulkOp[], opts?: WriteOptions): Promise<BulkOutcome[]> {
    const outcomes = await runBulk(this.t, ops, this.bulkOptions(opts));
    const marker = await this.markers.current(name);
    if (marker) await this.replay(name, marker, ops, outcomes, opts);
    return outcomes;
  }

  /**
   * Carries writes between the two versions of a reindex. A write that landed in `from` goes to `to`: while the
   * copy runs with the old version's sequence number + 1 as external version (so the copy and the replay cannot
   * overwrite each other's newer data), afterwards as a plain write. A write that landed in `to` (the alias
   * switched) goes back to `from`, projected onto its schema, so a rollback keeps it.
   */
  private async replay(
    name: string,
    marker: Marker,
    ops: BulkOp[],
    outcomes: BulkOutcome[],
    opts?: WriteOptions,
  ): Promise<void> {
    const replays: BulkOp[] = [];
    const deletes: { id: string; seq: number }[] = [];
    ops.forEach((op, i) => {
      const o = outcomes[i]!;
      if (!o.ok || o.seqNo === undefined) return;
      const forward = o.index === marker.from;
      if (!forward && o.index !== marker.to) return;
      const target = forward ? marker.to : marker.from;
      const schema = forward ? marker.to_schema : marker.from_schema;
      const version = forward && marker.state === 'copying' ? o.seqNo + 1 : undefined;
      if (op.action === 'delete') {
        replays.push({ action: 'delete', index: target, id: op.id, ...(version ? { version } : {}) });
        if (version) deletes.push({ id: op.id, seq: version });
        return;
      }
      const doc: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(op.source ?? {})) if (k in schema.fields) doc[k] = v;
      let checked;
      try {
        checked = checkDocument(schema, doc);
      } catch (err) {
        this.opts.log?.warn(
          { index: name, id: op.id, target, error: (err as Error).message },
          'a write does not fit the schema of the other version of a reindex; not carried over',
        );
        return;
      }
      replays.push({
        action: 'index',
        index: target,
        id: op.id,
        source: toSource(schema, checked.id, checked.document),
        ...(version ? { version } : {}),
      });
    });
    if (!replays.length) return;
    if (deletes.length) await this.markers.recordDeletes(name, marker, deletes);
    // A write that waits to be searchable makes its replay searchable too, so it is visible in whichever version
    // serves next; the replay refreshes at once (one shard, only while a reindex is under way or a previous
    // version is kept) rather than adding a second wait for the periodic refresh to the write's latency.
    const policy = this.bulkOptions(opts);
    const results = await runBulk(this.t, replays, {
      ...policy,
      refresh: policy.refresh === 'false' ? 'false' : 'true',
    });
    results.forEach((r, i) => {
      // A version conflict means a newer write (or the copy of it) is there already: nothing to do.
      if (!r.ok && r.error?.type !== 'version_conflict_engine_exception' && r.status !== 404) {
        this.opts.log?.warn(
          { index: name, id: replays[i]!.id, error: r.error },
          'a write made during a reindex could not be carried to the other version',
        );
      }
    });
  }

  async upsert(index: string, item: BulkItem, opts?: WriteOptions): Promise<{ created: boolean }> {
    const [result] = await this.bulkUpsert(index, [item], opts);
    if (result!.error) throw new SiftError(result!.error.code, result!.error.message, { index, id: item.id });
    return { created: result!.created };
  }

  async bulkUpsert(index: string, items: BulkItem[], opts?: WriteOptions): Promise<BulkItemResult[]> {
    if (!items.length) return [];
    const r = await this.require(index);
    const alias = this.names.alias(index);
    const ops: BulkOp[] = items.map((item) => ({
      action: 'index',
      index: alias,
      id: docId(item.id),
      source: toSource(r.meta.schema, item.id, item.document),
    }));
    const outcomes = await this.write(index, ops, opts);
    return outcomes.map((o) =>
      o.ok ? { created: o.created ?? false } : { created: false, error: o.error! },
    );
  }

  async get(index: string, id: string): Promise<Document | null> {
    const r = await this.require(index);
    const res = await this.t.request<{ found?: boolean; _source?: Document }>({
      method: 'GET',
      path: `/${encodeURIComponent(this.names.alias(index))}/_doc/${encodeURIComponent(docId(id))}`,
    });
    if (res.status === 404 && errorType(res.body) === 'index_not_found_exception')
      throw new SiftError('INDEX_NOT_FOUND', `index "${index}" does not exist`, { index });
    if (res.status === 404) return null;
    this.check(res, 'get document', index);
    return res.body.found && res.body._source ? fromSource(r.meta.schema, res.body._source) : null;
  }

  async delete(index: string, id: string, opts?: WriteOptions): Promise<boolean> {
    await this.require(index);
    const [outcome] = await this.write(
      index,
      [{ action: 'delete', index: this.names.alias(index), id: docId(id) }],
      opts,
    );
    if (!outcome!.ok) throw new SiftError(outcome!.error!.code, outcome!.error!.message, { index, id });
    return outcome!.found ?? false;
  }

  // ---- Reindex ----

  async reindex(name: string, opts: ReindexOptions = {}): Promise<ReindexResult> {
    try {
      return await copyAndSwitch(this, name, opts);
    } finally {
      this.forgetResolved(name);
    }
  }

  async rollbackReindex(name: string): Promise<ReindexResult> {
    try {
      return await switchBack(this, name);
    } finally {
      this.forgetResolved(name);
    }
  }

  // ---- Search (src/engines/cluster/search.ts) ----

  async search(index: string, request: SearchRequest): Promise<SearchResult> {
    const r = await this.requireForRead(index);
    return runSearch(this.context, index, r.meta.schema, request);
  }

  async suggest(index: string, request: SuggestRequest): Promise<Suggestion[]> {
    const r = await this.requireForRead(index);
    return runSuggest(this.context, index, r.meta.schema, request);
  }
}
