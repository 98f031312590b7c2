import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SiftError } from '../../errors.js';
import {
  checkSnapshotName,
  type RestoreResult,
  type SnapshotIndex,
  type SnapshotInfo,
  type SnapshotProgress,
  type SnapshotStore,
} from '../snapshots.js';
import { docsTable } from './ddl.js';
import { BUSY_TIMEOUT_MS } from './open-database.js';

/** The database file of a data directory (the engine's default `file`). */
const DB_FILE = 'sift.db';
const MANIFEST = 'manifest.json';
/** Pages copied per backup step; between steps the event loop turns (progress, signals). */
const PAGES_PER_STEP = 1024;
/** How long a restore waits for the target database's lock before it says a service holds it. */
const IN_USE_WAIT_MS = 250;

interface Manifest {
  format: 1;
  name: string;
  engine: 'embedded';
  created_at: string;
  sqlite_version: string;
  indexes: SnapshotIndex[];
  size_bytes: number;
  /** Of the snapshot's database file, checked before a restore uses it. */
  sha256: string;
}

type Progress = ((p: SnapshotProgress) => void) | undefined;

async function sha256(path: string, onProgress: Progress, total: number): Promise<string> {
  const hash = createHash('sha256');
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    onProgress?.({ phase: 'verify', done, total });
  }
  return hash.digest('hex');
}

/** Copies `from` (an open connection) into a new file with the backup API, reporting pages as it goes. */
async function backupInto(
  from: Database.Database,
  to: string,
  onProgress: Progress,
  pagesPerStep = PAGES_PER_STEP,
): Promise<void> {
  const { totalPages } = await from.backup(to, {
    progress: ({ totalPages, remainingPages }) => {
      onProgress?.({ phase: 'copy', done: totalPages - remainingPages, total: totalPages });
      return pagesPerStep;
    },
  });
  // The last step is not reported by the backup itself.
  onProgress?.({ phase: 'copy', done: totalPages, total: totalPages });
}

/** Sift's indexes in a database and their document counts, read in the caller's transaction. */
function indexesOf(db: Database.Database): SnapshotIndex[] {
  const rows = db.prepare('SELECT name, tid, version FROM sift_indexes ORDER BY name').all() as {
    name: string;
    tid: number;
    version: number;
  }[];
  return rows.map((r) => ({
    name: r.name,
    version: r.version,
    documents: db
      .prepare(`SELECT count(*) FROM ${docsTable(r.tid)}`)
      .pluck()
      .get() as number,
  }));
}

const isBusy = (err: unknown) => (err as { code?: string }).code?.startsWith('SQLITE_BUSY') === true;

/**
 * Snapshots of the embedded engine: one folder per snapshot under `snapshotDir`, holding a copy of the database
 * (a single file, rollback-journal mode, so it is complete without a -wal beside it) and a manifest written last
 * (a folder without one is an interrupted snapshot and is never restored).
 *
 * A snapshot is taken online: the copy runs on a connection of its own inside one read transaction, so it is the
 * database as it was at one instant (WAL mode lets the server go on searching and writing meanwhile; a change
 * made by another connection would otherwise restart SQLite's backup at every step).
 *
 * A restore replaces the whole database of a data directory, which no process may have open: the configured
 * one while the service is stopped, or a new one (`restoreInto`). It holds an exclusive lock on the target while
 * it works, so a server started meanwhile waits or fails instead of reading a half-restored file.
 */
export class EmbeddedSnapshots implements SnapshotStore {
  private readonly snapshotDir: string;

  constructor(
    private readonly opts: {
      dataDir: string;
      /** Default `DATA_DIR/snapshots`. */
      snapshotDir?: string;
      /** The data directory a restore writes; the configured one when absent. */
      restoreInto?: string;
      /** Pages copied per step of the backup (tests make it small to write between steps). */
      pagesPerStep?: number;
    },
  ) {
    this.snapshotDir = resolve(opts.snapshotDir || join(opts.dataDir, 'snapshots'));
  }

  async close(): Promise<void> {}

  async create(name: string, onProgress?: Progress): Promise<SnapshotInfo> {
    checkSnapshotName(name);
    const source = join(this.opts.dataDir, DB_FILE);
    if (!existsSync(source)) {
      throw new SiftError(
        'SNAPSHOT_INVALID',
        `there is no Sift database in data directory "${resolve(this.opts.dataDir)}" to snapshot`,
        { data_dir: resolve(this.opts.dataDir) },
      );
    }
    const folder = join(this.snapshotDir, name);
    await mkdir(this.snapshotDir, { recursive: true });
    try {
      await mkdir(folder);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      throw new SiftError('SNAPSHOT_CONFLICT', `snapshot "${name}" already exists in ${this.snapshotDir}`, {
        snapshot: name,
      });
    }
    const partial = join(folder, `${DB_FILE}.partial`);
    try {
      const db = new Database(source, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      let indexes: SnapshotIndex[];
      let sqliteVersion: string;
      try {
        // One read transaction from the first read to the end of the copy: the counts and every page are of the
        // same instant, and writers of other connections (a running server) are not held up by it.
        db.exec('BEGIN');
        sqliteVersion = db.prepare('SELECT sqlite_version()').pluck().get() as string;
        indexes = indexesOf(db);
        await backupInto(db, partial, onProgress, this.opts.pagesPerStep);
        db.exec('COMMIT');
      } finally {
        db.close();
      }
      // The copy's header still says WAL: make it a file that is complete on its own.
      const copy = new Database(partial, { fileMustExist: true });
      try {
        copy.pragma('journal_mode = DELETE');
      } finally {
        copy.close();
      }
      const size = (await stat(partial)).size;
      const manifest: Manifest = {
        format: 1,
        name,
        engine: 'embedded',
        created_at: new Date().toISOString(),
        sqlite_version: sqliteVersion,
        indexes,
        size_bytes: size,
        sha256: await sha256(partial, onProgress, size),
      };
      await rename(partial, join(folder, DB_FILE));
      await writeFile(join(folder, `${MANIFEST}.partial`), JSON.stringify(manifest, null, 2) + '\n');
      await rename(join(folder, `${MANIFEST}.partial`), join(folder, MANIFEST));
      return this.info(manifest);
    } catch (err) {
      await rm(folder, { recursive: true, force: true });
      throw err;
    }
  }

  private info(m: Manifest): SnapshotInfo {
    return {
      name: m.name,
      engine: 'embedded',
      created_at: m.created_at,
      state: 'complete',
      indexes: m.indexes,
      size_bytes: m.size_bytes,
      location: join(this.snapshotDir, m.name),
    };
  }

  async list(): Promise<SnapshotInfo[]> {
    let entries: string[];
    try {
      entries = await readdir(this.snapshotDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: SnapshotInfo[] = [];
    for (const name of entries.sort()) {
      const folder = join(this.snapshotDir, name);
      if (!(await stat(folder)).isDirectory()) continue;
      const manifest = await this.manifest(name).catch(() => null);
      out.push(
        manifest
          ? this.info(manifest)
          : {
              name,
              engine: 'embedded',
              created_at: (await stat(folder)).mtime.toISOString(),
              state: 'incomplete',
              indexes: [],
              size_bytes: null,
              location: folder,
            },
      );
    }
    return out.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.name.localeCompare(b.name));
  }

  private async manifest(name: string): Promise<Manifest> {
    return JSON.parse(await readFile(join(this.snapshotDir, name, MANIFEST), 'utf8')) as Manifest;
  }

  async restore(name: string, onProgress?: Progress): Promise<RestoreResult> {
    const started = performance.now();
    checkSnapshotName(name);
    const folder = join(this.snapshotDir, name);
    if (!existsSync(folder))
      throw new SiftError('SNAPSHOT_NOT_FOUND', `there is no snapshot "${name}" in ${this.snapshotDir}`, {
        snapshot: name,
      });
    let manifest: Manifest;
    try {
      manifest = await this.manifest(name);
    } catch (err) {
      throw new SiftError(
        'SNAPSHOT_CORRUPT',
        `snapshot "${name}" has no readable manifest: it was interrupted while being taken`,
        { snapshot: name },
        { cause: err },
      );
    }
    const file = join(folder, DB_FILE);
    const size = existsSync(file) ? (await stat(file)).size : -1;
    if (size !== manifest.size_bytes || (await sha256(file, onProgress, size)) !== manifest.sha256) {
      throw new SiftError(
        'SNAPSHOT_CORRUPT',
        `snapshot "${name}" does not match its manifest (size or checksum): it was changed or damaged`,
        { snapshot: name },
      );
    }

    const targetDir = resolve(this.opts.restoreInto ?? this.opts.dataDir);
    await mkdir(targetDir, { recursive: true });
    const target = join(targetDir, DB_FILE);
    const lock = existsSync(target) ? this.lockUnused(target) : null;
    const temp = join(targetDir, `${DB_FILE}.restore-${process.pid}`);
    try {
      const from = new Database(file, { readonly: true, fileMustExist: true });
      try {
        await backupInto(from, temp, onProgress);
      } finally {
        from.close();
      }
      const copy = new Database(temp, { fileMustExist: true });
      try {
        const check = copy.pragma('quick_check', { simple: true });
        if (check !== 'ok')
          throw new SiftError(
            'SNAPSHOT_CORRUPT',
            `snapshot "${name}" fails SQLite's check: ${String(check)}`,
            {
              snapshot: name,
            },
          );
      } finally {
        copy.close();
      }
      onProgress?.({ phase: 'swap', done: 0, total: 1 });
      if (lock) {
        // Every write of the old database into its file, the WAL emptied: nothing of it can be replayed into the
        // new file that takes its name.
        lock.pragma('wal_checkpoint(TRUNCATE)');
        await rename(temp, target);
      } else {
        // No database here: a WAL or shared-memory file left beside the name belongs to no one.
        for (const leftover of [`${target}-wal`, `${target}-shm`])
          await unlink(leftover).catch(() => undefined);
        await rename(temp, target);
      }
      onProgress?.({ phase: 'swap', done: 1, total: 1 });
    } finally {
      lock?.close();
      await rm(temp, { force: true });
    }
    return {
      snapshot: name,
      indexes: manifest.indexes,
      target: targetDir,
      took_ms: Math.round(performance.now() - started),
    };
  }

  /**
   * Takes the target database's lock for the whole restore, or says which process to stop. In WAL mode every
   * open connection (a server, its reader threads, another CLI command) holds a shared lock, so an exclusive one
   * is granted only when no process has the file open; with `locking_mode = EXCLUSIVE` it is kept until close.
   */
  private lockUnused(target: string): Database.Database {
    const db = new Database(target, { fileMustExist: true, timeout: IN_USE_WAIT_MS });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.exec('COMMIT');
      return db;
    } catch (err) {
      db.close();
      if (!isBusy(err)) throw err;
      throw new SiftError(
        'SNAPSHOT_CONFLICT',
        `the database in "${resolve(target, '..')}" is open in another process (a running Sift service?): stop it first, or restore into a new data directory (--into <dir>)`,
        { data_dir: resolve(target, '..') },
        { cause: err },
      );
    }
  }
}
