import type { IndexSchema } from '../../schema/types.js';
import { replicaSettings } from './mapping.js';
import type { Names } from './names.js';
import type { ClusterTransport } from './transport.js';
import { unavailable } from './transport.js';

/**
 * Sift's bookkeeping in the cluster: one hidden system index holding, per logical index, the marker of a reindex
 * (which version is being built, from which) and the deletes seen while it copies. Every Sift process reads the
 * marker after each write (or relies on a read at most MARKER_CACHE_MS old), so all of them dual-write while a
 * copy runs, whichever process started it.
 */
export interface Marker {
  index: string;
  /**
   * copying: documents are being copied from `from` to `to`; done: the alias points at `to` and `from` is kept
   * for rollback. In both states writes landing in one version are carried to the other (see replay.ts).
   */
  state: 'copying' | 'done';
  from: string;
  to: string;
  from_version: number;
  to_version: number;
  from_schema: IndexSchema;
  to_schema: IndexSchema;
  started_at: string;
  /** Refreshed while the copy runs; a copying marker whose heartbeat stopped belongs to a process that died. */
  heartbeat_at?: string;
  /** Process that runs the copy, for the operator. */
  owner: string;
}

/**
 * How long a writer may rely on the marker it (or another write of its process) read: writes read it through
 * ReindexMarkers.current, which saves a round trip per write. A reindex waits this long after claiming before it
 * takes its view of the old version (see reindex.ts), so a write that relied on an older "no reindex" has landed
 * by then and is in that view.
 */
export const MARKER_CACHE_MS = 1000;

/** A copy that has not reported for this long is considered dead and may be taken over. */
export const STALE_AFTER_MS = 120_000;

const SYSTEM_MAPPING = {
  dynamic: 'strict',
  properties: {
    kind: { type: 'keyword' },
    index: { type: 'keyword' },
    state: { type: 'keyword' },
    from: { type: 'keyword' },
    to: { type: 'keyword' },
    from_version: { type: 'integer' },
    to_version: { type: 'integer' },
    from_schema: { type: 'object', enabled: false },
    to_schema: { type: 'object', enabled: false },
    started_at: { type: 'date' },
    heartbeat_at: { type: 'date' },
    owner: { type: 'keyword' },
    id: { type: 'keyword' },
    version: { type: 'long' },
  },
};

const markerId = (name: string) => `reindex:${name}`;

export class ReindexMarkers {
  /** Recent reads for the write path, by index: the read in flight or done, and when it was sent. */
  private readonly recent = new Map<string, { marker: Promise<Marker | null>; at: number }>();

  /**
   * `replicas`: ELASTICSEARCH_REPLICAS, as for the search indexes: a write checks the marker in this index, so it
   * must survive the loss of a node whenever they do.
   */
  constructor(
    private readonly t: ClusterTransport,
    private readonly names: Names,
    private readonly replicas?: string,
  ) {}

  /**
   * The marker as a write sees it: read at most MARKER_CACHE_MS before (the time is taken when the read is sent,
   * so an answer is never trusted past that bound), one read shared by concurrent writes. Changes this process
   * makes to the marker are seen at once.
   */
  current(name: string): Promise<Marker | null> {
    const now = performance.now();
    const hit = this.recent.get(name);
    if (hit && now - hit.at < MARKER_CACHE_MS) return hit.marker;
    const marker = this.get(name);
    const entry = { marker, at: now };
    this.recent.set(name, entry);
    // A failed read is not remembered: the next write reads again.
    marker.catch(() => {
      if (this.recent.get(name) === entry) this.recent.delete(name);
    });
    return marker;
  }

  /** Drops what writes of this process remember of the index's marker. */
  forget(name: string): void {
    this.recent.delete(name);
  }

  private docPath(id: string): string {
    return `/${encodeURIComponent(this.names.system)}/_doc/${encodeURIComponent(id)}`;
  }

  private async ensureIndex(): Promise<void> {
    const res = await this.t.request({
      method: 'PUT',
      path: `/${encodeURIComponent(this.names.system)}`,
      body: {
        settings: { number_of_shards: 1, ...replicaSettings(this.replicas), hidden: true },
        mappings: SYSTEM_MAPPING,
      },
    });
    const type = (res.body as { error?: { type?: string } })?.error?.type;
    if (res.status >= 300 && type !== 'resource_already_exists_exception') {
      throw unavailable(this.t.product, `cannot create the system index: ${JSON.stringify(res.body)}`);
    }
    // An index made by an older Sift gets the fields added since (the mapping is strict).
    if (res.status >= 300) {
      await this.t.request({
        method: 'PUT',
        path: `/${encodeURIComponent(this.names.system)}/_mapping`,
        body: SYSTEM_MAPPING,
      });
    }
  }

  /** The marker of a running or just-finished reindex; read in real time (not through search). */
  async get(name: string): Promise<Marker | null> {
    const res = await this.t.request<{ found?: boolean; _source?: Marker }>({
      method: 'GET',
      path: this.docPath(markerId(name)),
    });
    if (res.status === 404) return null;
    if (res.status >= 300)
      throw unavailable(this.t.product, `reading the reindex marker answered ${res.status}`);
    return res.body.found ? (res.body._source ?? null) : null;
  }

  /**
   * Claims the index for a reindex: fails with `false` when another copy is running. A finished marker, or a copy
   * whose heartbeat stopped, is replaced (its sequence number and primary term make the replacement conditional,
   * so two processes cannot both take over).
   */
  async claim(marker: Marker, onStale: (stale: Marker) => Promise<void>): Promise<boolean> {
    this.forget(marker.index);
    await this.ensureIndex();
    const current = await this.t.request<{
      found?: boolean;
      _source?: Marker;
      _seq_no?: number;
      _primary_term?: number;
    }>({ method: 'GET', path: this.docPath(markerId(marker.index)) });
    const doc = { kind: 'marker', ...marker };
    if (current.status === 200 && current.body.found) {
      const running = current.body._source;
      if (running?.state === 'copying') {
        const beat = Date.parse(running.heartbeat_at ?? running.started_at);
        if (Date.now() - beat < STALE_AFTER_MS) return false;
        // The process that ran this copy stopped reporting: drop what it half built and take over.
        await onStale(running);
      }
      const res = await this.t.request({
        method: 'PUT',
        path: this.docPath(markerId(marker.index)),
        body: doc,
        querystring: {
          if_seq_no: current.body._seq_no,
          if_primary_term: current.body._primary_term,
          refresh: 'true',
        },
      });
      return res.status < 300;
    }
    const res = await this.t.request({
      method: 'PUT',
      path: `/${encodeURIComponent(this.names.system)}/_create/${encodeURIComponent(markerId(marker.index))}`,
      body: doc,
      querystring: { refresh: 'true' },
    });
    return res.status < 300;
  }

  async update(marker: Marker): Promise<void> {
    this.forget(marker.index);
    const res = await this.t.request({
      method: 'PUT',
      path: this.docPath(markerId(marker.index)),
      body: { kind: 'marker', ...marker },
      querystring: { refresh: 'true' },
    });
    if (res.status >= 300)
      throw unavailable(this.t.product, `updating the reindex marker answered ${res.status}`);
  }

  /** Deletes seen during a copy: re-applied to the new version once the copy is over. */
  async recordDeletes(name: string, marker: Marker, deletes: { id: string; seq: number }[]): Promise<void> {
    const lines = deletes
      .map(
        (d) =>
          `${JSON.stringify({ index: { _index: this.names.system, _id: `del:${marker.to}:${d.id}` } })}\n` +
          `${JSON.stringify({ kind: 'delete', index: name, to: marker.to, id: d.id, version: d.seq })}\n`,
      )
      .join('');
    const res = await this.t.request<{ errors?: boolean }>({
      method: 'POST',
      path: '/_bulk',
      bulkBody: lines,
    });
    if (res.status >= 300 || res.body.errors)
      throw unavailable(this.t.product, `recording deletes for the reindex failed (${res.status})`);
  }

  /** Every delete recorded for the version `to`. */
  async deletesFor(to: string): Promise<{ id: string; version: number }[]> {
    const out: { id: string; version: number }[] = [];
    let after: unknown[] | undefined;
    // Recorded without waiting for a refresh: make every one of them searchable first.
    await this.t.request({ method: 'POST', path: `/${encodeURIComponent(this.names.system)}/_refresh` });
    for (;;) {
      const res = await this.t.request<{
        hits?: { hits: { _source: { id: string; version: number }; sort: unknown[] }[] };
      }>({
        method: 'POST',
        path: `/${encodeURIComponent(this.names.system)}/_search`,
        body: {
          size: 1000,
          query: { bool: { filter: [{ term: { kind: 'delete' } }, { term: { to } }] } },
          sort: [{ id: 'asc' }],
          ...(after ? { search_after: after } : {}),
        },
      });
      if (res.status === 404) return out;
      if (res.status >= 300)
        throw unavailable(this.t.product, `reading recorded deletes answered ${res.status}`);
      const hits = res.body.hits?.hits ?? [];
      out.push(...hits.map((h) => h._source));
      if (hits.length < 1000) return out;
      after = hits.at(-1)!.sort;
    }
  }

  /** Forgets the marker and the recorded deletes of an index. */
  async clear(name: string, to?: string): Promise<void> {
    this.forget(name);
    await this.t.request({
      method: 'DELETE',
      path: this.docPath(markerId(name)),
      querystring: { refresh: 'true' },
    });
    if (to) await this.clearDeletes(to);
  }

  /** Forgets the deletes recorded for the version `to`. */
  async clearDeletes(to: string): Promise<void> {
    const deletes = await this.deletesFor(to);
    if (!deletes.length) return;
    const lines = deletes
      .map((d) => `${JSON.stringify({ delete: { _index: this.names.system, _id: `del:${to}:${d.id}` } })}\n`)
      .join('');
    await this.t.request({
      method: 'POST',
      path: '/_bulk',
      bulkBody: lines,
      querystring: { refresh: 'true' },
    });
  }
}
