import { SiftError } from '../../errors.js';
import type { IndexSchema } from '../../schema/types.js';
import { checkAnswer } from './answers.js';
import { mappingsFor, settingsFor, type IndexMeta } from './mapping.js';
import { vectorSettings } from './vector-mapping.js';
import { Names } from './names.js';
import type { ClusterResponse, ClusterTransport } from './transport.js';
import { errorType } from './transport.js';

/** How long a search may reuse an alias resolution. */
const READ_RESOLVE_MS = 1000;

/** A resolved logical index: the physical version its name points at and what that version says about itself. */
export interface Resolved {
  physical: string;
  meta: IndexMeta;
}

type MappingAnswer = Record<string, { mappings?: { _meta?: { sift?: IndexMeta } } }>;

/**
 * What the cluster holds of Sift's indexes: which physical version a name points at, every version of a name, its
 * schema (in the version's mapping `_meta`) and generation; creating a version and moving a name between versions.
 * The engine (reads and writes) and the reindex (copy and switch) both work through it, so neither needs the other.
 */
export class IndexCatalogue {
  readonly names: Names;
  readonly product: ClusterTransport['product'];
  private readonly readResolved = new Map<string, { resolved: Resolved; at: number }>();
  private readonly maxResultWindow: number;
  private readonly replicas: string | undefined;

  constructor(
    readonly transport: ClusterTransport,
    opts: { prefix?: string; maxResultWindow?: number; replicas?: string } = {},
  ) {
    this.names = new Names(opts.prefix ?? '');
    this.product = transport.product;
    this.maxResultWindow = opts.maxResultWindow ?? 10_000;
    this.replicas = opts.replicas;
  }

  /** Turns a non-answer status into the error catalogue (see answers.ts). */
  check<T>(res: ClusterResponse<T>, what: string, index?: string): ClusterResponse<T> {
    return checkAnswer(this.product, res, what, index);
  }

  /**
   * The version a name points at, or null when the name is not a Sift index. Read from the asked node's own
   * cluster state (`local`): by default the cluster's elected manager answers mapping reads, and every search
   * resolves its index (at most once a second), so a manager that hangs held up searches on healthy nodes until a
   * new one was elected (seen at 9.3 s of a 10 s deadline). An alias change is acknowledged once every node has
   * applied it, so the local view is as current as any.
   */
  async resolve(name: string): Promise<Resolved | null> {
    const res = await this.transport.request<MappingAnswer>({
      method: 'GET',
      path: `/${encodeURIComponent(this.names.alias(name))}/_mapping`,
      querystring: { local: true },
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

  async require(name: string): Promise<Resolved> {
    const r = await this.resolve(name);
    if (!r) throw new SiftError('INDEX_NOT_FOUND', `index "${name}" does not exist`, { index: name });
    return r;
  }

  /**
   * Searches and suggestions reuse a resolution for up to a second: looking the alias up costs a cluster round
   * trip, which would otherwise be most of what Sift adds to a query. Lifecycle changes made through this
   * process drop it at once; ones made by another process are seen within the second (the search itself always
   * goes through the alias, so only the schema used to translate can be that old).
   */
  async requireForRead(name: string): Promise<Resolved> {
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

  /** The schema alone: one mapping request. */
  async schemaOf(name: string): Promise<IndexSchema | null> {
    return (await this.resolve(name))?.meta.schema ?? null;
  }

  /** The Sift metadata of one physical version, or null when it has none. */
  async metaOf(physical: string): Promise<IndexMeta | null> {
    const res = await this.transport.request<MappingAnswer>({
      method: 'GET',
      path: `/${encodeURIComponent(physical)}/_mapping`,
    });
    if (res.status === 404) return null;
    this.check(res, 'get mapping');
    return res.body[physical]?.mappings?._meta?.sift ?? null;
  }

  /** Every physical version of an index, by version number. */
  async versions(name: string): Promise<Map<number, string>> {
    const res = await this.transport.request<MappingAnswer>({
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

  /** The logical names behind Sift's aliases, sorted. */
  async listNames(): Promise<string[]> {
    const res = await this.transport.request<Record<string, { aliases?: Record<string, unknown> }>>({
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
    return [...names].sort();
  }

  /** The generation of a resolved version: its base plus the operations it has taken. */
  async generationOf(r: Resolved): Promise<number> {
    const res = this.check(
      await this.transport.request<{
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

  /** Creates physical version `meta.version` of an index with its mapping; `alias` also points the name at it. */
  async createVersion(name: string, schema: IndexSchema, meta: IndexMeta, alias: boolean): Promise<string> {
    const physical = this.names.physical(name, meta.version);
    const res = await this.transport.request({
      method: 'PUT',
      path: `/${encodeURIComponent(physical)}`,
      body: {
        settings: {
          ...settingsFor(this.maxResultWindow, this.replicas),
          ...vectorSettings(schema, this.product),
        },
        mappings: mappingsFor(schema, meta, this.product),
        ...(alias ? { aliases: { [this.names.alias(name)]: {} } } : {}),
      },
    });
    if (res.status === 400 && errorType(res.body) === 'invalid_alias_name_exception') {
      throw new SiftError(
        'INDEX_EXISTS',
        `"${name}" is taken by another index in the cluster`,
        { index: name },
        { cause: res.body },
      );
    }
    if (res.status === 400 && errorType(res.body) === 'resource_already_exists_exception') {
      throw new SiftError(
        'INDEX_EXISTS',
        `index "${name}" already exists`,
        { index: name },
        { cause: res.body },
      );
    }
    this.check(res, 'create index');
    return physical;
  }

  /** Points the name from one physical version to another in one `_aliases` call: readers never see neither. */
  async switchAlias(name: string, from: string, to: string): Promise<void> {
    const alias = this.names.alias(name);
    this.check(
      await this.transport.request({
        method: 'POST',
        path: '/_aliases',
        body: { actions: [{ remove: { index: from, alias } }, { add: { index: to, alias } }] },
      }),
      'switch alias',
      name,
    );
  }
}
