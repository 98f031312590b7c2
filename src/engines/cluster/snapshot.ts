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
 * A restore replaces the indexes the snapshot holds: their current versions are dropped, then the snapshot's are
 * restored with their aliases, so each name points at the version it pointed at when the snapshot was taken.
 * Indexes the snapshot does not hold are left alone. It is not atomic across indexes: a failure half-way leaves
 * some indexes restored and says which.
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
    const indexes = snap.metadata!.sift!.indexes;
    const total = indexes.length + 1;
    // The current versions go first: an open index of the same name cannot be restored over, and the alias must
    // point only at what the snapshot brings back.
    let done = 0;
    for (const index of indexes) {
      await this.engine.dropIndex(index.name);
      onProgress?.({ phase: 'drop', done: ++done, total });
    }
    const res = await this.t.request(
      {
        method: 'POST',
        path: `${this.base}/${encodeURIComponent(name)}/_restore`,
        querystring: { wait_for_completion: true, master_timeout: RESTORE_TIMEOUT },
        body: {
          indices: indexes.flatMap((i) => i.physical).join(','),
          include_aliases: true,
          include_global_state: false,
        },
      },
      { timeoutMs: 30 * 60_000 },
    );
    try {
      this.check(res, 'restore snapshot', name);
    } catch (err) {
      throw new SiftError(
        (err as SiftError).code ?? 'INTERNAL',
        `${(err as Error).message}; the indexes ${indexes.map((i) => `"${i.name}"`).join(', ')} were dropped before the restore: restore the snapshot again`,
        { snapshot: name },
        { cause: err },
      );
    }
    // Searchable again before the answer: the primaries of every restored index are assigned.
    this.engine.catalogue.forgetResolved();
    await this.t.request({
      method: 'GET',
      path: `/_cluster/health/${indexes
        .flatMap((i) => i.physical)
        .map(encodeURIComponent)
        .join(',')}`,
      querystring: { wait_for_status: 'yellow', timeout: '60s' },
    });
    onProgress?.({ phase: 'restore', done: total, total });
    return {
      snapshot: name,
      indexes: indexes.map(({ name, version, documents }) => ({ name, version, documents })),
      target: `${this.engine.name} cluster`,
      took_ms: Math.round(performance.now() - started),
    };
  }
}
