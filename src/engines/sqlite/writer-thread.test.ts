import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from '../conformance/fixtures.js';
import type { Document } from '../../schema/document.js';
import type { IndexSchema } from '../../schema/types.js';
import { versionWriter } from './version-writer.js';
import { WriterThread, type VersionRef } from './writer-thread.js';

/** The writer thread's load into an empty version: what it checks under the lock, and what it leaves. */
describe('writer thread, load into an empty version', () => {
  const temp = tempSqlite('writer-thread');

  const fresh = async () => {
    const { engine, svc } = await temp.open();
    await svc.putIndex('pkgs', FIXTURE_SCHEMA);
    const db = temp.track(new Database(engine.path));
    const { tid, schema } = db.prepare(`SELECT tid, schema FROM sift_indexes WHERE name = 'pkgs'`).get() as {
      tid: number;
      schema: string;
    };
    const version: VersionRef = { index: 'pkgs', tid, schemaText: schema };
    // Rows as the main thread builds them (a writer on its own connection; building rows writes nothing).
    const rowsOf = (docs: Document[]) =>
      versionWriter(db, tid, JSON.parse(schema) as IndexSchema, schema).rows(docs);
    const thread = temp.track(new WriterThread(engine.path));
    const count = () => db.prepare(`SELECT count(*) FROM d_${tid}`).pluck().get() as number;
    // FTS5 compares its index with the rows, and throws where they differ.
    const integrity = () => db.exec(`INSERT INTO f_${tid}(f_${tid}) VALUES ('integrity-check')`);
    // The unique index on id, as the load left it: declared on its own, and refusing a second row of an id.
    const idIndexSql = () =>
      db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'i_${tid}'`).pluck().get() as string | undefined;
    const insertRaw = (id: string) => db.prepare(`INSERT INTO d_${tid} (id, src) VALUES (?, '{}')`).run(id);
    return { db, tid, svc, version, rowsOf, thread, count, integrity, idIndexSql, insertRaw };
  };

  it('inserts and commits in one transaction, indexing the text of each batch as it comes', async () => {
    const { svc, version, rowsOf, thread, count, integrity, idIndexSql, insertRaw } = await fresh();
    expect(await thread.beginRebuild(version)).toBe(true);
    const docs = FIXTURE_DOCS.slice(0, 5) as Document[];
    expect(await thread.rebuildRows(rowsOf(docs.slice(0, 2)))).toEqual([true, true]);
    expect(await thread.rebuildRows(rowsOf(docs.slice(2)))).toEqual([true, true, true]);
    expect(count()).toBe(0); // not committed: another connection sees nothing
    await thread.commitRebuild();
    expect(count()).toBe(5);
    integrity();
    expect(idIndexSql()).toMatch(/^CREATE UNIQUE INDEX/);
    expect(() => insertRaw(String(docs[0]!.name))).toThrow(/UNIQUE/);
    for (const d of docs) {
      const hits = await svc.search('pkgs', { q: String(d.summary), size: 1 });
      expect(hits.hits.map((h) => h.id)).toEqual([d.name]);
    }
  });

  it('rebuilds the text index at the end of a load that replaced a document it had indexed', async () => {
    const { svc, version, rowsOf, thread, integrity } = await fresh();
    expect(await thread.beginRebuild(version)).toBe(true);
    const docs = FIXTURE_DOCS.slice(0, 3) as Document[];
    expect(await thread.rebuildRows(rowsOf(docs))).toEqual([true, true, true]);
    const replaced = { ...docs[0]!, summary: 'zanzibar quokka' };
    expect(await thread.rebuildRows(rowsOf([replaced, FIXTURE_DOCS[3] as Document]))).toEqual([false, true]);
    await thread.commitRebuild();
    integrity();
    expect((await svc.search('pkgs', { q: 'quokka' })).hits.map((h) => h.id)).toEqual([docs[0]!.name]);
    // The replaced text is gone from the index, not only from the row.
    expect((await svc.search('pkgs', { q: String(docs[0]!.summary) })).hits.map((h) => h.id)).not.toContain(
      docs[0]!.name,
    );
  });

  it('keeps ids unique while the id index is set aside: an id repeated in one batch replaces the earlier row', async () => {
    const { svc, version, rowsOf, thread, count, integrity, idIndexSql, insertRaw } = await fresh();
    expect(await thread.beginRebuild(version)).toBe(true);
    const docs = FIXTURE_DOCS.slice(0, 4) as Document[];
    expect(await thread.rebuildRows(rowsOf(docs.slice(0, 2)))).toEqual([true, true]);
    const again = { ...docs[2]!, summary: 'zanzibar quokka' };
    expect(await thread.rebuildRows(rowsOf([docs[2]!, again, docs[3]!]))).toEqual([true, false, true]);
    await thread.commitRebuild();
    expect(count()).toBe(4);
    integrity();
    expect((await svc.search('pkgs', { q: 'quokka' })).hits.map((h) => h.id)).toEqual([docs[2]!.name]);
    expect(idIndexSql()).toMatch(/^CREATE UNIQUE INDEX/);
    expect(() => insertRaw(String(docs[3]!.name))).toThrow(/UNIQUE/);
  });

  it('loads a version made before the id index was declared on its own, its id constraint kept throughout', async () => {
    const { db, tid, svc, version, rowsOf, thread, count, integrity, idIndexSql, insertRaw } = await fresh();
    // The documents table as versions were made before: the id's UNIQUE on the column, no separate index.
    const table = db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'd_${tid}'`).pluck().get() as string;
    db.exec(`DROP TABLE d_${tid}`);
    db.exec(table.replace('id TEXT NOT NULL,', 'id TEXT NOT NULL UNIQUE,'));
    expect(await thread.beginRebuild(version)).toBe(true);
    const docs = FIXTURE_DOCS.slice(0, 3) as Document[];
    expect(await thread.rebuildRows(rowsOf(docs))).toEqual([true, true, true]);
    const again = { ...docs[1]!, summary: 'zanzibar quokka' };
    expect(await thread.rebuildRows(rowsOf([again]))).toEqual([false]);
    await thread.commitRebuild();
    expect(count()).toBe(3);
    integrity();
    expect((await svc.search('pkgs', { q: 'quokka' })).hits.map((h) => h.id)).toEqual([docs[1]!.name]);
    expect(idIndexSql()).toBeUndefined();
    expect(() => insertRaw(String(docs[0]!.name))).toThrow(/UNIQUE/);
  });

  it('refuses a version that is no longer empty, or no longer current, holding nothing', async () => {
    const { svc, version, thread, count } = await fresh();
    await svc.putDocument('pkgs', 'lodash', { summary: 'utilities' });
    expect(await thread.beginRebuild(version)).toBe(false);
    expect(await thread.beginRebuild({ ...version, tid: version.tid + 1 })).toBe(false);
    // Nothing held: the engine writes at once.
    await svc.putDocument('pkgs', 'react', { summary: 'views' });
    expect(count()).toBe(2);
  });

  it('rolls back a load that is closed before its commit', async () => {
    const { svc, version, rowsOf, thread, count } = await fresh();
    expect(await thread.beginRebuild(version)).toBe(true);
    await thread.rebuildRows(rowsOf(FIXTURE_DOCS.slice(0, 3) as Document[]));
    await thread.close();
    expect(count()).toBe(0);
    await svc.putDocument('pkgs', 'react', { summary: 'views' });
    expect(count()).toBe(1);
  });
});
