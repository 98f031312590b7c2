import type Database from 'better-sqlite3';
import { cached } from './statements.js';

/**
 * What a search learns about the data that the next one can reuse (match counts, each phrase's idf, the most
 * popular rows), per reader connection, valid while nothing was committed: SQLite's data_version moves with
 * every commit of any other connection, and is read inside the search's read transaction.
 */
const snapshots = new WeakMap<Database.Database, { version: number; memo: Map<string, unknown> }>();
const MEMO_ENTRIES = 512;
/**
 * What every query shares, kept when a full memo makes room: the most popular rows (read and tokenized at ~18 µs
 * a row), the popularity sample and the popularity order. Emptying the whole memo made the next broad query read
 * those again: a few searches in every few hundred paid ~40 ms more.
 */
const SHARED = ['top:', 'popularity-sample:', 'popular-order:'];

/** The memo of the connection's current snapshot (emptied when another connection has committed). */
export function snapshot(db: Database.Database): Map<string, unknown> {
  const version = cached(db, 'PRAGMA data_version').pluck().get() as number;
  let snap = snapshots.get(db);
  if (!snap || snap.version !== version) snapshots.set(db, (snap = { version, memo: new Map() }));
  if (snap.memo.size >= MEMO_ENTRIES) evictOldest(snap.memo);
  return snap.memo;
}

/** Makes room in a full memo: the oldest quarter of the entries goes, except what every query shares. */
function evictOldest(memo: Map<string, unknown>): void {
  let drop = Math.ceil(memo.size / 4);
  for (const key of memo.keys()) {
    if (drop === 0) break;
    if (SHARED.some((prefix) => key.startsWith(prefix))) continue;
    memo.delete(key);
    drop--;
  }
}

/** The value this snapshot keeps under `key`, made once. */
export function memo<T>(db: Database.Database, key: string, make: () => T): T {
  const m = snapshot(db);
  if (m.has(key)) return m.get(key) as T;
  const value = make();
  m.set(key, value);
  return value;
}
