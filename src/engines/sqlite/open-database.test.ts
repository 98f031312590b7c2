import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import { SqliteEngine } from './engine.js';
import { openDatabase } from './open-database.js';

describe('opening the embedded database', () => {
  const { dir } = tempSqlite('open');

  // Another process creating the same new database holds its write lock while this one switches the file to WAL
  // (node:cluster workers starting together): the switch waits for it instead of failing with "database is locked".
  it('waits for another connection holding a new file to switch it to WAL', async () => {
    const d = dir();
    const other = new Database(join(d, 'sift.db'));
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => other.exec('COMMIT'), 300);
    const engine = new SqliteEngine({ dataDir: d, readers: 1 });
    try {
      await engine.open();
      expect(other.inTransaction).toBe(false);
      expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
      expect((await engine.health()).ok).toBe(true);
    } finally {
      await engine.close();
      other.close();
    }
  });

  it('still fails with SQLITE_BUSY when the lock is held past the busy timeout', async () => {
    const d = dir();
    const path = join(d, 'sift.db');
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(openDatabase(path, 200)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    } finally {
      other.exec('COMMIT');
      other.close();
    }
  });
});
