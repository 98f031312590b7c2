import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { loadVectorExtension } from './vector-extension.js';

/** How long a statement waits for another connection's lock before it fails with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

const isBusy = (err: unknown): boolean => (err as { code?: string }).code?.startsWith('SQLITE_BUSY') === true;

/**
 * Opens the database file read-write, in WAL mode. The busy timeout is given to the constructor, so it holds
 * before the first statement.
 *
 * It does not cover the switch to WAL itself: on a file still in rollback mode (a new one), `journal_mode = WAL`
 * rewrites the header through a read transaction upgraded to a write one, and SQLite never calls the busy handler
 * for an upgrade (waiting there could deadlock). So when several processes (node:cluster workers) open a new
 * database at the same moment, all but one failed at once with "database is locked". The switch is retried here,
 * between turns of the event loop, until the busy timeout has passed; a file already in WAL mode needs no lock.
 */
export async function openDatabase(path: string, timeoutMs = BUSY_TIMEOUT_MS): Promise<Database.Database> {
  const db = new Database(path, { timeout: timeoutMs });
  try {
    // The vector table's triggers call sqlite-vec: the writer needs it for every document write.
    loadVectorExtension(db);
    const deadline = Date.now() + timeoutMs;
    for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
      try {
        db.pragma('journal_mode = WAL');
        break;
      } catch (err) {
        if (!isBusy(err) || Date.now() >= deadline) throw err;
        await sleep(wait);
      }
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The settings of a connection that writes: durable when a commit returns (WAL with synchronous=FULL), foreign
 * keys enforced, and a page cache and mapping sized for a search workload (reads dominate, the text index is hot).
 */
export function configureWriter(db: Database.Database): void {
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 268435456');
}
