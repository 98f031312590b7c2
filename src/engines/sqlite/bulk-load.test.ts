import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ARRAY_DOCS, ARRAY_SCHEMA } from '../conformance/array-cases.js';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from '../conformance/fixtures.js';
import type { BatchResult } from '../../service/search-service.js';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import type { SqliteEngine } from './engine.js';

/** The embedded engine's bulk load: what it leaves on disk, and how it shares the connection. */
describe('embedded engine bulk load', () => {
  const temp = tempSqlite('bulk');
  const fresh = async () => {
    const { engine, svc } = await temp.open();
    await svc.putIndex('pkgs', FIXTURE_SCHEMA);
    return { engine, svc };
  };
  /** Triggers, indexes and tables of version 1, and whether its text index matches its rows. */
  const disk = (engine: SqliteEngine) => {
    const db = new Database(engine.path);
    try {
      db.exec(`INSERT INTO f_1(f_1) VALUES ('integrity-check')`);
      const objects = db
        .prepare(
          `SELECT type, name, sql FROM sqlite_schema WHERE tbl_name IN ('d_1', 'r_1', 'x_1') ORDER BY name`,
        )
        .all();
      const ranked = db.prepare('SELECT count(*) FROM r_1').pluck().get() as number;
      return { objects, ranked };
    } finally {
      db.close();
    }
  };
  async function* batchesOf<T>(items: T[], size: number): AsyncGenerator<T[]> {
    for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
  }

  it('into an empty index: one transaction, everything derived rebuilt as declared, duplicates counted', async () => {
    const { engine, svc } = await fresh();
    const before = disk(engine).objects;
    const docs = [...FIXTURE_DOCS, { ...FIXTURE_DOCS[0], summary: 'replaced in the same load' }];
    const results: BatchResult[] = [];
    const durable: number[] = [];
    const { mode } = await svc.importStream('pkgs', batchesOf([...docs, { name: 'bad', colour: 1 }], 3), {
      written: (r) => results.push(r),
      durable: (n) => durable.push(n),
    });
    expect(mode).toBe('rebuild');
    // Nothing is durable before the commit, which covers every document at once.
    expect(durable).toEqual([docs.length]);
    const items = results.flatMap((r) => r.items);
    expect(items.filter((i) => i.result === 'created')).toHaveLength(FIXTURE_DOCS.length);
    expect(items.filter((i) => i.result === 'updated')).toHaveLength(1);
    expect(items.filter((i) => i.error?.code === 'INVALID_DOCUMENT')).toHaveLength(1);

    const after = disk(engine);
    expect(after.objects).toEqual(before);
    expect(after.ranked).toBe(FIXTURE_DOCS.length);
    const hit = await svc.search('pkgs', { q: 'replaced' });
    expect(hit.hits.map((h) => h.id)).toEqual([FIXTURE_DOCS[0]!.name]);
    expect((await svc.search('pkgs', { q: 'react' })).hits[0]!.id).toBe('react');
  });

  it('into an empty index, with the writer thread: an input that breaks after some batches leaves nothing', async () => {
    const { engine, svc } = await fresh();
    const before = disk(engine).objects;
    const written: BatchResult[] = [];
    async function* input(): AsyncGenerator<unknown[]> {
      yield* batchesOf(FIXTURE_DOCS.slice(0, 6), 2);
      throw new Error('input broke');
    }
    const load = svc.importStream('pkgs', input(), { written: (r) => written.push(r), durable: () => {} });
    await expect(load).rejects.toThrow('input broke');
    // The thread inserted the batches it was given, in the load's transaction, which was rolled back.
    expect(written.length).toBeGreaterThan(0);
    expect(await engine.get('pkgs', FIXTURE_DOCS[0]!.name as string)).toBeNull();
    expect(disk(engine)).toMatchObject({ objects: before, ranked: 0 });
    // The thread let the lock go: a write after it is stored, through the triggers.
    await svc.putDocument('pkgs', 'lodash', { summary: 'written after the load' });
    expect((await svc.search('pkgs', { q: 'after' })).hits.map((h) => h.id)).toEqual(['lodash']);
  });

  it('into an empty index with lists: the list table is built once, filters, facets and sorts read it', async () => {
    const { engine, svc } = await fresh();
    await svc.putIndex('shelf', ARRAY_SCHEMA);
    const { mode } = await svc.importStream('shelf', batchesOf(ARRAY_DOCS, 2), {
      written: () => {},
      durable: () => {},
    });
    expect(mode).toBe('rebuild');
    const db = new Database(engine.path, { readonly: true });
    try {
      const tid = db.prepare(`SELECT tid FROM sift_indexes WHERE name = 'shelf'`).pluck().get() as number;
      const triggers = db
        .prepare(`SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE ? ORDER BY name`)
        .pluck()
        .all(`d_${tid}_aa%`);
      expect(triggers).toEqual([`d_${tid}_aad`, `d_${tid}_aai`, `d_${tid}_aau`]);
      // b1: 2 tags, 2 ratings, 2 scores, 2 dates, 1 flag; b2: 1, 1, 0, 1, 2; b3: 2 (distinct), 2, 0, 1, 1; b4: 1 tag, 1 score.
      expect(db.prepare(`SELECT count(*) FROM a_${tid}`).pluck().get()).toBe(9 + 5 + 6 + 2);
    } finally {
      db.close();
    }
    const ids = async (input: Parameters<typeof svc.search>[1]) =>
      (await svc.search('shelf', { sort: 'id', ...input })).hits.map((h) => h.id);
    expect(await ids({ filter: 'tags = "humor"' })).toEqual(['b1', 'b2']);
    expect(await ids({ sort: '-ratings,id' })).toEqual(['b3', 'b1', 'b2', 'b4', 'b5']);
    const facets = await svc.search('shelf', { facets: 'tags', size: 0 });
    expect(facets.facets.tags!.buckets).toEqual([
      { value: 'fantasy', count: 2 },
      { value: 'humor', count: 2 },
      { value: 'epic', count: 1 },
      { value: 'scifi', count: 1 },
    ]);
    // A write after the load goes through the triggers.
    await svc.putDocument('shelf', 'b5', { id: 'b5', tags: ['epic'] });
    expect(await ids({ filter: 'tags = "epic"' })).toEqual(['b3', 'b5']);
  });

  it('into a live index: batch by batch, each durable when reported', async () => {
    const { engine, svc } = await fresh();
    await svc.importDocuments('pkgs', FIXTURE_DOCS.slice(0, 1));
    const durable: number[] = [];
    const { mode } = await svc.importStream('pkgs', batchesOf(FIXTURE_DOCS.slice(1), 2), {
      written: () => {},
      durable: (n) => durable.push(n),
    });
    expect(mode).toBe('batches');
    expect(durable).toEqual(
      Array.from({ length: Math.ceil((FIXTURE_DOCS.length - 1) / 2) }, (_, i) =>
        Math.min(2 * (i + 1), FIXTURE_DOCS.length - 1),
      ),
    );
    expect(disk(engine).ranked).toBe(FIXTURE_DOCS.length);
  });

  it('into a live index whose schema another process changes between batches: nothing is lost', async () => {
    const { engine, svc } = await fresh();
    await svc.importDocuments('pkgs', FIXTURE_DOCS.slice(0, 1));
    const other = new Database(engine.path);
    const results: BatchResult[] = [];
    try {
      const changed = JSON.parse(
        other.prepare(`SELECT schema FROM sift_indexes WHERE name = 'pkgs'`).pluck().get() as string,
      ) as { fields: Record<string, { boost?: number }> };
      changed.fields.name!.boost = 5;
      await svc.importStream('pkgs', batchesOf(FIXTURE_DOCS.slice(1), 2), {
        written: (r) => {
          results.push(r);
          // The second batch is reported just before the third, whose rows are built already, goes to the
          // writer thread: that batch finds the index changed and is written again under the new schema.
          if (results.length === 2)
            other
              .prepare(`UPDATE sift_indexes SET schema = ? WHERE name = 'pkgs'`)
              .run(JSON.stringify(changed));
        },
        durable: () => {},
      });
    } finally {
      other.close();
    }
    expect(results.flatMap((r) => r.items.map((i) => i.result))).toEqual(
      FIXTURE_DOCS.slice(1).map(() => 'created'),
    );
    for (const d of FIXTURE_DOCS)
      expect((await engine.get('pkgs', d.name as string))?.summary).toBe(d.summary);
    expect(disk(engine).ranked).toBe(FIXTURE_DOCS.length);
  });

  it('into a live index whose input breaks: the batches handed to the engine before the break are stored', async () => {
    const { engine, svc } = await fresh();
    await svc.importDocuments('pkgs', FIXTURE_DOCS.slice(0, 1));
    const durable: number[] = [];
    async function* input(): AsyncGenerator<unknown[]> {
      yield* batchesOf(FIXTURE_DOCS.slice(1, 7), 2);
      throw new Error('input broke');
    }
    await expect(
      svc.importStream('pkgs', input(), { written: () => {}, durable: (n) => durable.push(n) }),
    ).rejects.toThrow('input broke');
    // The third batch was on the writer thread when the input broke: stored, though not reported.
    expect(durable).toEqual([2, 4]);
    for (const d of FIXTURE_DOCS.slice(0, 7))
      expect((await engine.get('pkgs', d.name as string))?.summary).toBe(d.summary);
    expect(disk(engine).ranked).toBe(7);
  });

  it('keeps other writes of the process out of its transaction, and a failed load leaves nothing', async () => {
    const { engine, svc } = await fresh();
    const before = disk(engine).objects;
    let fail!: (err: Error) => void;
    const stalled = new Promise<never>((_, reject) => (fail = reject));
    let loadedFirst = false;
    async function* input(): AsyncGenerator<unknown[]> {
      yield FIXTURE_DOCS.slice(0, 2);
      loadedFirst = true;
      await stalled; // the input breaks while the load's transaction is open
    }
    const load = svc.importStream('pkgs', input(), { written: () => {}, durable: () => {} });
    while (!loadedFirst) await new Promise((r) => setImmediate(r));

    // A write during the load waits for it instead of joining its transaction.
    let written = false;
    const put = svc.putDocument('pkgs', 'lodash', { summary: 'written during the load' }).then((r) => {
      written = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(written).toBe(false);

    fail(new Error('input broke'));
    await expect(load).rejects.toThrow('input broke');
    expect(await put).toEqual({ created: true, id: 'lodash' });

    // The load is rolled back whole; the write that waited is stored, and everything derived is as declared.
    expect(await engine.get('pkgs', FIXTURE_DOCS[0]!.name as string)).toBeNull();
    expect(await engine.get('pkgs', 'lodash')).toMatchObject({ summary: 'written during the load' });
    expect(disk(engine)).toMatchObject({ objects: before, ranked: 1 });
    expect((await svc.search('pkgs', { q: 'during' })).hits.map((h) => h.id)).toEqual(['lodash']);
  });
});
