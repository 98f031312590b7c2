import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import type { IndexSchema } from '../../schema/types.js';
import { createFacetSql, FACET_LOG_KEEP, facetLogTable } from './ddl.js';
import { facetColumnActivity, facetColumns, type FacetColumn } from './facet-columns.js';

const SCHEMA = {
  id_field: 'name',
  fields: { name: { type: 'keyword' }, scope: { type: 'keyword', facet: true } },
} as unknown as IndexSchema;

describe('facet columns in memory', () => {
  const temp = tempSqlite('facet-columns');

  /** A writer and a reader connection on one database holding version 1's documents and facet table. */
  function open() {
    const dir = temp.dir();
    const writer = temp.track(new Database(join(dir, 'db')));
    writer.pragma('journal_mode = WAL');
    writer.exec('CREATE TABLE d_1 (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, c_scope)');
    for (const sql of createFacetSql(1, SCHEMA)) writer.exec(sql);
    const reader = temp.track(new Database(join(dir, 'db'), { readonly: true }));
    const put = writer.prepare(
      'INSERT INTO d_1 (id, c_scope) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET c_scope = excluded.c_scope',
    );
    const write = writer.transaction((rows: [string, string | null][]) => rows.forEach((r) => put.run(...r)));
    /** The column as the reader sees it in a read transaction of its own. */
    const read = (build: boolean): FacetColumn | null =>
      reader.transaction(() => facetColumns(reader, 1, ['c_scope'], build)?.[0] ?? null)();
    /** The reader's column against the table: every rowid's value. */
    const expectCurrent = (c: FacetColumn | null) => {
      expect(c).not.toBeNull();
      const rows = writer.prepare('SELECT rowid, c_scope FROM x_1').raw().all() as [number, string | null][];
      const inColumn = rows.map(([rid]) => [rid, c!.values[c!.ids[rid] ?? 0] ?? null]);
      expect(inColumn).toEqual(rows);
      // No rowid outside the table holds a value.
      const present = new Set(rows.map((r) => r[0]));
      c!.ids.forEach((id, rid) => {
        if (!present.has(rid)) expect(id).toBe(0);
      });
    };
    return { writer, reader, write, read, expectCurrent };
  }

  it('is read once, then patched from the change log: inserts, updates and deletes', () => {
    const { writer, write, read, expectCurrent } = open();
    write(Array.from({ length: 100 }, (_, i) => [`p${i}`, i % 3 === 0 ? null : `@s${i % 7}`]));
    const before = facetColumnActivity.readWhole;
    expect(read(false)).toBeNull(); // not in memory, and not to be read whole
    expectCurrent(read(true));
    expect(facetColumnActivity.readWhole).toBe(before + 1);

    write([
      ['p1', '@moved'],
      ['p2', null],
      ['new-1', '@new'],
    ]);
    writer.prepare('DELETE FROM d_1 WHERE id IN (?, ?)').run('p4', 'p5');
    const patched = facetColumnActivity.patchedRows;
    expectCurrent(read(false));
    expect(facetColumnActivity.readWhole).toBe(before + 1);
    expect(facetColumnActivity.patchedRows).toBeGreaterThan(patched);
  });

  it('is read whole again after more changes than it patches, and the log keeps its last entries only', () => {
    const { writer, write, read, expectCurrent } = open();
    write([['a', '@a']]);
    expectCurrent(read(true));
    write(Array.from({ length: FACET_LOG_KEEP + 5_000 }, (_, i) => [`bulk${i}`, `@b${i % 50}`]));
    const kept = writer
      .prepare(`SELECT count(*) FROM ${facetLogTable(1)}`)
      .pluck()
      .get() as number;
    expect(kept).toBeGreaterThanOrEqual(FACET_LOG_KEEP);
    expect(kept).toBeLessThanOrEqual(FACET_LOG_KEEP + 1024);
    expect(read(false)).toBeNull();
    expectCurrent(read(true));
  });

  it('is dropped when the schema changes (a facet table rebuilt, a version number reused)', () => {
    const { writer, write, read, expectCurrent } = open();
    write([['a', '@a']]);
    expectCurrent(read(true));
    writer.exec('DROP TABLE x_1');
    for (const sql of createFacetSql(1, SCHEMA).slice(0, 2)) writer.exec(sql);
    expect(read(false)).toBeNull();
  });
});
