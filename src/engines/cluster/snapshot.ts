import { setTimeout as sleep } from 'node:timers/promises';
import { SiftError } from '../../errors.js';
import {
  checkSnapshotName,
  type RestoreResult,
  type SnapshotIndex,
  type SnapshotInfo,
  type SnapshotProgress,
  type SnapshotStore,
} from '../snapshots.js';
import type { ClusterEngine } from './engine.js';
import { errorReason, errorType, type ClusterResponse } from './transport.js';

/** How often a running snapshot's status is read for progress. */
const POLL_MS = 500;
/** Longest a restore may take before the call gives up (the cluster goes on with it). */
const RESTORE_TIMEOUT = '30m';

type Progress = ((p: SnapshotProgress) => void) | undefined;

/** What Sift writes into a snapshot's metadata: which of its indexes it holds, for `list` and `restore`. */
interface SiftMetadata {
  format: 1;
  prefix: string;
  indexes: (SnapshotIndex & { physical: string[] })[];
}

interface ClusterSnapshot {
  snapshot: string;
  state: string;
  start_time?: string;
  indices?: string[];
  metadata?: { sift?: SiftMetadata };
  shards?: { total: number; successful: number; failed: number };
}

/**
 * Snapshots of Sift's indexes on Elasticsearch and OpenSearch, in a repository registered in the cluster
 * (SNAPSHOT_REPOSITORY; `PUT _snapshot/<name>`, e.g. an `fs` repository under the nodes' `path.repo`). A snapshot
 * holds every physical version of every Sift index under this prefix (the live one and the one kept for
 * rollback) with its aliases, and Sift's own list of them in the snapshot's metadata; never the cluster's global
 * state, nor Sift's reindex markers (they describe copies in flight, not data).
 *
 * A restore replaces the indexes the snapshot holds, as a reindex does: each version of the snapshot is restored
 * as a new version of its index (numbered after every version the index has), and once all are restored and
 * searchable one `_aliases` call moves every name to the restored version it pointed at when the snapshot was
 * taken; the versions the names left are then deleted. A restore that fails before the names move deletes what
 * it restored: the indexes are as they were. Indexes the snapshot does not hold are left alone.
 */
export class ClusterSnapshots implements SnapshotStore {
  constructor(
    private readonly engine: ClusterEngine,
    private readonly repository: string,
  ) {}

  private get t() {
    return this.engine.catalogue.transport;
  }

  private get base(): string {
    if (!this.repository)
      throw new SiftError(
        'SNAPSHOT_INVALID',
        `no snapshot repository is configured for ${this.engine.name}: register one in the cluster (PUT _snapshot/<name>) and set SNAPSHOT_REPOSITORY`,
      );
    return `/_snapshot/${encodeURIComponent(this.repository)}`;
  }

  async close(): Promise<void> {
    await this.engine.close();
  }

  /** Turns the cluster's refusals of snapshot requests into the catalogue. */
  private check<T>(res: ClusterResponse<T>, what: string, name?: string): ClusterResponse<T> {
    if (res.status < 300) return res;
    const type = errorType(res.body) ?? '';
    const details = { repository: this.repository, ...(name ? { snapshot: name } : {}) };
    const cause = { cause: { status: res.status, body: res.body } };
    if (type === 'repository_missing_exception')
      throw new SiftError(
        'SNAPSHOT_NOT_FOUND',
        `snapshot repository "${this.repository}" is not registered in the ${this.engine.name} cluster`,
        details,
        cause,
      );
    if (type === 'snapshot_missing_exception')
      throw new SiftError(
        'SNAPSHOT_NOT_FOUND',
        `there is no snapshot "${name}" in "${this.repository}"`,
        details,
        cause,
      );
    if (
      (type === 'invalid_snapshot_name_exception' || type === 'snapshot_name_already_in_use_exception') &&
      /already (exists|in-progress)/.test(errorReason(res.body))
    )
      throw new SiftError(
        'SNAPSHOT_CONFLICT',
        `snapshot "${name}" already exists in "${this.repository}"`,
        details,
        cause,
      );
    if (type.startsWith('concurrent_snapshot_execution') || type === 'snapshot_restore_exception')
      throw new SiftError('SNAPSHOT_CONFLICT', `${what}: ${errorReason(res.body)}`, details, cause);
    return this.engine.catalogue.check(res, what);
  }

  /** Sift's indexes now: each name, the version it points at, its document count and every physical version. */
  private async indexes(): Promise<SiftMetadata['indexes']> {
    const out: SiftMetadata['indexes'] = [];
    for (const name of await this.engine.catalogue.listNames()) {
      const info = await this.engine.getIndex(name);
      if (!info) continue;
      const versions = await this.engine.catalogue.versions(name);
      out.push({
        name,
        version: info.version,
        documents: info.documents,
        physical: [...versions.values()].sort(),
      });
    }
    return out;
  }

  async create(name: string, onProgress?: Progress): Promise<SnapshotInfo> {
    checkSnapshotName(name);
    const base = this.base;
    const indexes = await this.indexes();
    const physical = indexes.flatMap((i) => i.physical);
    if (physical.length === 0)
      throw new SiftError(
        'SNAPSHOT_INVALID',
        `there is no Sift index in the ${this.engine.name} cluster to snapshot`,
      );
    const metadata: SiftMetadata = { format: 1, prefix: this.engine.catalogue.names.prefix, indexes };
    this.check(
      await this.t.request({
        method: 'PUT',
        path: `${base}/${encodeURIComponent(name)}`,
        querystring: { wait_for_completion: false },
        body: { indices: physical.join(','), include_global_state: false, metadata: { sift: metadata } },
      }),
      'create snapshot',
      name,
    );
    // Until the snapshot itself is no longer IN_PROGRESS (its shards may all be done while it is finalized),
    // with progress from the shards' status.
    let snap = await this.raw(name);
    while (snap.state === 'IN_PROGRESS') {
      const status = await this.t.request<{
        snapshots?: { shards_stats?: { done: number; total: number } }[];
      }>({
        method: 'GET',
        path: `${base}/${encodeURIComponent(name)}/_status`,
      });
      const shards = status.status === 200 ? status.body.snapshots?.[0]?.shards_stats : undefined;
      if (shards) onProgress?.({ phase: 'shards', done: shards.done, total: shards.total });
      await sleep(POLL_MS);
      snap = await this.raw(name);
    }
    if (snap.shards)
      onProgress?.({ phase: 'shards', done: snap.shards.successful, total: snap.shards.total });
    const info = this.info(snap);
    if (info.state !== 'complete')
      throw new SiftError(
        'SNAPSHOT_CORRUPT',
        `snapshot "${name}" ended ${info.state} in "${this.repository}"; delete it and take another`,
        { snapshot: name, state: info.state },
      );
    return info;
  }

  private info(s: ClusterSnapshot): SnapshotInfo {
    const meta = s.metadata?.sift;
    return {
      name: s.snapshot,
      engine: this.engine.name,
      created_at: s.start_time ?? '',
      state: s.state === 'SUCCESS' ? 'complete' : s.state,
      indexes: (meta?.indexes ?? []).map(({ name, version, documents }) => ({ name, version, documents })),
      size_bytes: null,
      location: this.repository,
    };
  }

  private async raw(name: string): Promise<ClusterSnapshot> {
    const res = this.check(
      await this.t.request<{ snapshots?: ClusterSnapshot[] }>({
        method: 'GET',
        path: `${this.base}/${encodeURIComponent(name)}`,
      }),
      'get snapshot',
      name,
    );
    const s = res.body.snapshots?.[0];
    if (!s || s.metadata?.sift?.prefix !== this.engine.catalogue.names.prefix)
      throw new SiftError(
        'SNAPSHOT_NOT_FOUND',
        `there is no Sift snapshot "${name}" in "${this.repository}"`,
        {
          snapshot: name,
        },
      );
    return s;
  }

  /** Sift's snapshots in the repository (those taken under this prefix), oldest first. */
  async list(): Promise<SnapshotInfo[]> {
    const res = this.check(
      await this.t.request<{ snapshots?: ClusterSnapshot[] }>({ method: 'GET', path: `${this.base}/_all` }),
      'list snapshots',
    );
    return (res.body.snapshots ?? [])
      .filter((s) => s.metadata?.sift?.prefix === this.engine.catalogue.names.prefix)
      .map((s) => this.info(s))
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.name.localeCompare(b.name));
  }

  async restore(name: string, onProgress?: Progress): Promise<RestoreResult> {
    const started = performance.now();
    checkSnapshotName(name);
    const snap = await this.raw(name);
    if (snap.state !== 'SUCCESS')
      throw new SiftError(
        'SNAPSHOT_CORRUPT',
        `snapshot "${name}" is ${snap.state}, not complete: nothing restored`,
        {
          snapshot: name,
        },
      );
    const plans = await this.plan(snap.metadata!.sift!.indexes);
    const copies = plans.flatMap((plan) => plan.copies.map((copy) => ({ plan, copy })));
    const total = copies.length + 1;
    // Every version of the snapshot is restored beside what is live, under a new version number; the names move
    // to them in one `_aliases` call only once all are restored and searchable. Until then nothing a reader or
    // writer sees has changed, so a restore that fails half-way drops what it restored and changes nothing.
    const restored: string[] = [];
    try {
      for (const { plan, copy } of copies) {
        await this.restoreCopy(name, plan, copy);
        restored.push(copy.to);
        onProgress?.({ phase: 'restore', done: restored.length, total });
      }
      await this.waitSearchable(restored);
      this.check(
        await this.t.request({
          method: 'POST',
          path: '/_aliases',
          body: { actions: plans.flatMap((p) => this.aliasActions(p)) },
        }),
        'switch aliases to the restored versions',
        name,
      );
    } catch (err) {
      if (restored.length)
        await this.t
          .request({
            method: 'DELETE',
            path: `/${restored.map(encodeURIComponent).join(',')}`,
            querystring: { ignore_unavailable: true },
          })
          .catch(() => undefined);
      const why = err instanceof Error ? err.message : String(err);
      throw new SiftError(
        (err as SiftError).code ?? 'INTERNAL',
        `restore of snapshot "${name}" failed, nothing changed (the indexes are as they were): ${why}`,
        { snapshot: name },
        { cause: err },
      );
    } finally {
      for (const p of plans) this.engine.catalogue.forgetResolved(p.index.name);
    }
    onProgress?.({ phase: 'swap', done: total, total });
    // A reindex marker described copies between the versions the names left (as a drop forgets it).
    for (const p of plans) await this.engine.markers.clear(p.index.name);
    // The versions the names left: no reader or writer reaches them any more.
    const replaced = plans.flatMap((p) => p.replaced);
    if (replaced.length) {
      const res = await this.t.request({
        method: 'DELETE',
        path: `/${replaced.map(encodeURIComponent).join(',')}`,
        querystring: { ignore_unavailable: true },
      });
      if (res.status >= 300)
        throw new SiftError(
          'INTERNAL',
          `snapshot "${name}" is restored, but the versions it replaced could not be deleted: delete ${replaced.join(', ')}`,
          { snapshot: name },
          { cause: { status: res.status, body: res.body } },
        );
    }
    return {
      snapshot: name,
      indexes: plans.map((p) => ({ name: p.index.name, version: p.live, documents: p.index.documents })),
      target: `${this.engine.name} cluster`,
      took_ms: Math.round(performance.now() - started),
    };
  }

  /**
   * For each index of the snapshot: its versions, each to be restored as a new version after every one the index
   * has now (so no name is reused and the generation only grows), the one its name will point at, and the
   * versions it has now, which the restore replaces.
   */
  private async plan(indexes: SiftMetadata['indexes']): Promise<RestorePlan[]> {
    const plans: RestorePlan[] = [];
    for (const index of indexes) {
      const existing = await this.engine.catalogue.versions(index.name);
      const current = await this.engine.catalogue.resolve(index.name);
      let next = Math.max(0, index.version, ...existing.keys()) + 1;
      const renumbered = new Map<number, number>();
      const copies = index.physical.map((from): RestoreCopy => {
        // A version's name ends with its number (Names.physical), in the snapshot as in the cluster.
        renumbered.set(Number(/-v(\d+)$/.exec(from)?.[1]), next);
        return { from, to: this.engine.catalogue.names.physical(index.name, next++) };
      });
      const live = renumbered.get(index.version);
      if (live === undefined)
        throw new SiftError(
          'SNAPSHOT_CORRUPT',
          `snapshot metadata names version ${index.version} of "${index.name}" but holds no such version: nothing restored`,
          { index: index.name },
        );
      plans.push({
        index,
        copies,
        renumbered,
        generationFloor: current ? (await this.engine.catalogue.generationOf(current)) + 1 : 0,
        live,
        current: current?.physical ?? null,
        replaced: [...new Set([...existing.values(), ...(current ? [current.physical] : [])])],
      });
    }
    return plans;
  }

  /**
   * Restores one version of the snapshot under its new name, then writes its new number, its renumbered previous
   * version and a generation past the one the index has now into its mapping's meta.
   */
  private async restoreCopy(name: string, plan: RestorePlan, copy: RestoreCopy): Promise<void> {
    const res = await this.t.request(
      {
        method: 'POST',
        path: `${this.base}/${encodeURIComponent(name)}/_restore`,
        querystring: { wait_for_completion: true, master_timeout: RESTORE_TIMEOUT },
        body: {
          indices: copy.from,
          rename_pattern: `^${copy.from.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}$`,
          rename_replacement: copy.to,
          include_aliases: false,
          include_global_state: false,
        },
      },
      { timeoutMs: 30 * 60_000 },
    );
    this.check(res, `restore ${copy.from} as ${copy.to}`, name);
    const meta = await this.engine.catalogue.metaOf(copy.to);
    if (!meta)
      throw new SiftError('SNAPSHOT_CORRUPT', `restored version ${copy.to} has no Sift metadata`, {
        snapshot: name,
      });
    const previous =
      meta.previous_version == null ? null : (plan.renumbered.get(meta.previous_version) ?? null);
    this.check(
      await this.t.request({
        method: 'PUT',
        path: `/${encodeURIComponent(copy.to)}/_mapping`,
        body: {
          _meta: {
            sift: {
              ...meta,
              version: plan.renumbered.get(meta.version) ?? Number(/-v(\d+)$/.exec(copy.to)?.[1]),
              previous_version: previous,
              generation_base: Math.max(meta.generation_base, plan.generationFloor),
            },
          },
        },
      }),
      `renumber ${copy.to}`,
      name,
    );
  }

  /** Waits until the primaries of every restored version are assigned: searchable before the names move. */
  private async waitSearchable(physical: string[]): Promise<void> {
    if (!physical.length) return;
    const res = await this.t.request<{ timed_out?: boolean; status?: string }>({
      method: 'GET',
      path: `/_cluster/health/${physical.map(encodeURIComponent).join(',')}`,
      querystring: { wait_for_status: 'yellow', timeout: '60s' },
    });
    this.check(res, 'wait for the restored versions');
    if (res.body.timed_out)
      throw new SiftError(
        'ENGINE_UNAVAILABLE',
        'the restored versions did not become searchable within 60 s',
      );
  }

  /** One name's move, within the one `_aliases` call: off the version it points at now, onto the restored one. */
  private aliasActions(p: RestorePlan): object[] {
    const alias = this.engine.catalogue.names.alias(p.index.name);
    const to = this.engine.catalogue.names.physical(p.index.name, p.live);
    return [...(p.current ? [{ remove: { index: p.current, alias } }] : []), { add: { index: to, alias } }];
  }
}

interface RestoreCopy {
  /** The version's name in the snapshot. */
  from: string;
  /** Its name once restored: a new version of the index. */
  to: string;
}

interface RestorePlan {
  index: SiftMetadata['indexes'][number];
  copies: RestoreCopy[];
  /** Version numbers in the snapshot -> their new numbers. */
  renumbered: Map<number, number>;
  /** The least generation base of a restored version: past the index's generation now, so caches move on. */
  generationFloor: number;
  /** The new number of the version the name pointed at when the snapshot was taken. */
  live: number;
  /** The version the name points at now, if any. */
  current: string | null;
  /** Every version the index has now: deleted once the name has moved. */
  replaced: string[];
}
