import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  packedEventCount,
  packedSearchCount,
  writeEventColumns,
  writeSearchColumns,
  type PackedRows,
} from './packed-rows.js';
import { EVENTS, SEARCHES } from './sql.js';
import { SqliteRowsInsert } from './sqlite-rows-insert.js';

const SEARCH_COLUMNS = ['at', 'index_name', 'query', 'filter_fields', 'hits', 'latency_ms', 'principal'];
const EVENT_COLUMNS = ['at', 'type', 'index_name', 'query', 'doc_id', 'position', 'principal'];

/**
 * A connection to the analytics file as every user of it opens one (the store on the main thread, the writer
 * thread): WAL so reports read beside the writer, a busy timeout as several processes share the file.
 */
export function openAnalyticsDb(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // Analytics may lose the last flush on a power cut; it must not make every flush wait for the disk.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * The writes of the SQLite analytics store, over one connection: a batch of packed rows in one transaction, and
 * the retention delete. The same code runs on the writer thread (a server) and on the caller's thread (a CLI
 * command, tests). The tables must exist (migrated) before the first insert.
 */
export class SqliteAnalyticsWrites {
  private readonly searchRows: SqliteRowsInsert;
  private readonly eventRows: SqliteRowsInsert;

  constructor(private readonly db: Database.Database) {
    this.searchRows = new SqliteRowsInsert(db, SEARCHES, SEARCH_COLUMNS);
    this.eventRows = new SqliteRowsInsert(db, EVENTS, EVENT_COLUMNS);
  }

  insert(rows: PackedRows): void {
    this.db.transaction(() => {
      this.searchRows.run(packedSearchCount(rows), (i, p, at) => writeSearchColumns(rows, i, p, at));
      this.eventRows.run(packedEventCount(rows), (i, p, at) => writeEventColumns(rows, i, p, at));
    })();
  }

  deleteBefore(before: number): number {
    return this.db.transaction(() => {
      const a = this.db.prepare(`DELETE FROM ${SEARCHES} WHERE at < ?`).run(before).changes;
      const b = this.db.prepare(`DELETE FROM ${EVENTS} WHERE at < ?`).run(before).changes;
      return a + b;
    })();
  }
}
