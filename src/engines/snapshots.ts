import { SiftError } from '../errors.js';

/**
 * Snapshots of everything Sift holds in an engine: the embedded engine's database file copied online with SQLite's
 * backup API, or a cluster snapshot of Sift's indexes in a repository the cluster knows. A restore puts every
 * index of the snapshot back as it was (documents, schema, versions kept for rollback); indexes created after the
 * snapshot are left alone on a cluster and gone on the embedded engine (the whole database is replaced).
 */
export interface SnapshotIndex {
  name: string;
  /** Documents in the version the name pointed at when the snapshot was taken. */
  documents: number;
  version: number;
}

export interface SnapshotInfo {
  name: string;
  /** `embedded`, `elasticsearch` or `opensearch`. */
  engine: string;
  created_at: string;
  /** `complete`, or what the cluster says of an unfinished or failed one (`IN_PROGRESS`, `PARTIAL`, `FAILED`). */
  state: string;
  indexes: SnapshotIndex[];
  /** Bytes of the copy where the engine can tell, else null. */
  size_bytes: number | null;
  /** Where it is: the folder of an embedded snapshot, or `<repository>` on a cluster. */
  location: string;
}

export interface SnapshotProgress {
  /** What is being done: `copy` (pages or shards), `verify`, `swap`. */
  phase: string;
  done: number;
  total: number;
}

export interface RestoreResult {
  snapshot: string;
  indexes: SnapshotIndex[];
  /** Where it was restored: a data directory or the cluster. */
  target: string;
  took_ms: number;
}

export interface SnapshotStore {
  create(name: string, onProgress?: (p: SnapshotProgress) => void): Promise<SnapshotInfo>;
  list(): Promise<SnapshotInfo[]>;
  restore(name: string, onProgress?: (p: SnapshotProgress) => void): Promise<RestoreResult>;
  close(): Promise<void>;
}

/** Snapshot names: safe as a folder name and as a cluster snapshot name (lower case, no separators). */
export const SNAPSHOT_NAME = /^[a-z0-9][a-z0-9_.-]{0,99}$/;

export function checkSnapshotName(name: string): string {
  if (!SNAPSHOT_NAME.test(name) || name.includes('..')) {
    throw new SiftError(
      'SNAPSHOT_INVALID',
      `snapshot name ${JSON.stringify(name)} is invalid: 1-100 characters of a-z, 0-9, "_", "." and "-", starting with a letter or digit`,
      { snapshot: name },
    );
  }
  return name;
}

/** The default name of a new snapshot: `sift-` and the UTC time to the second, sortable. */
export function defaultSnapshotName(now = new Date()): string {
  return `sift-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase()}`;
}
