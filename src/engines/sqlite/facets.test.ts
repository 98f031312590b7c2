import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from '../conformance/fixtures.js';
import type { RawSearchInput } from '../../query/request.js';
import { SearchService } from '../../service/search-service.js';
import { dropFacetSql, facetLogTable } from './ddl.js';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import type { SqliteEngine } from './engine.js';
import { facetColumnActivity } from './facet-columns.js';
import { facetColumnLimits } from './facets.js';

/** The embedded engine's facet table: kept equal to the documents on every write path, and counted from. */
describe('embedded engine facet table', () => {
  const temp = tempSqlite('facets');
  const fresh = async () => {
    const { engine, svc, dataDir: dir } = await temp.open();
    await svc.putIndex('pkgs', FIXTURE_SCHEMA);
    return { dir, engine, svc };
  };
  const raw = <T>(engine: SqliteEngine, use: (db: Database.Database) => T): T => {
    const db = new Database(engine.path);
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  /**
   * The live version's facet table against its documents: its columns, its row count and the rows whose values
   * differ from the document's (or that have no document, or whose document has no facet row).
   */
  const facetState = (engine: SqliteEngine) =>
    raw(engine, (db) => {
      const tid = db.prepare(`SELECT tid FROM sift_indexes WHERE name = 'pkgs'`).pluck().get() as number;
      const columns = (db.prepare(`SELECT name FROM pragma_table_info('x_${tid}')`).pluck().all() as string[])
        .filter((c) => c !== 'rowid')
        .sort();
      const same = columns.map((c) => `x.${c} IS d.${c}`).join(' AND ');
      const differ = (from: string) =>
        db.prepare(`SELECT count(*) FROM ${from} WHERE x.rowid IS NULL OR d.rowid IS NULL OR NOT (${same})`);
      const mismatched =
        (differ(`d_${tid} d LEFT JOIN x_${tid} x ON x.rowid = d.rowid`).pluck().get() as number) +
        (differ(`x_${tid} x LEFT JOIN d_${tid} d ON d.rowid = x.rowid`).pluck().get() as number);
      const rows = db.prepare(`SELECT count(*) FROM x_${tid}`).pluck().get() as number;
      const triggers = db
        .prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE ?`)
        .pluck()
        .get(`d_${tid}_xa_`) as number;
      return { tid, columns, rows, mismatched, triggers };
    });
  async function* batchesOf<T>(items: T[], size: number): AsyncGenerator<T[]> {
    for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
  }
  const base = ['c_downloads', 'c_license', 'c_scope'];

  it('follows every write path: bulk load, upsert, bulk upsert, delete, reindex, schema change, rollback', async () => {
    const { engine, svc } = await fresh();
    const expectInSync = (columns: string[], rows: number) => {
      const s = facetState(engine);
      expect(s).toMatchObject({ columns, rows, mismatched: 0, triggers: 3 });
      return s;
    };
    const { mode } = await svc.importStream('pkgs', batchesOf(FIXTURE_DOCS, 4), {
      written: () => {},
      durable: () => {},
    });
    expect(mode).toBe('rebuild');
    expectInSync(base, FIXTURE_DOCS.length);

    await svc.putDocument('pkgs', 'brand-new', {
      summary: 'new',
      scope: '@new',
      license: 'ISC',
      downloads: 5,
    });
    await svc.putDocument('pkgs', 'react', { summary: 'changed', scope: '@moved', license: 'Apache-2.0' });
    await svc.deleteDocument('pkgs', 'react-dom');
    await svc.importDocuments('pkgs', [
      { name: 'batch-a', summary: 'a', scope: '@batch', downloads: 7 },
      { name: '@types/react', summary: 'replaced', license: 'BSD-3-Clause' },
    ]);
    const live = expectInSync(base, FIXTURE_DOCS.length + 1);
    const scopes = await svc.search('pkgs', { q: 'changed', facets: 'scope,license' });
    expect(scopes.facets.scope!.buckets).toEqual([{ value: '@moved', count: 1 }]);

    await svc.reindex('pkgs');
    const copied = expectInSync(base, FIXTURE_DOCS.length + 1);
    expect(copied.tid).not.toBe(live.tid);

    // A new faceted field: in place when only options change (the table is built again with the new column) ...
    const withTier = {
      ...FIXTURE_SCHEMA,
      fields: { ...FIXTURE_SCHEMA.fields, tier: { type: 'keyword', facet: true } },
    };
    await svc.putIndex('pkgs', withTier);
    await svc.putDocument('pkgs', 'tiered', { summary: 'tiered', tier: 'gold' });
    expectInSync([...base, 'c_tier'].sort(), FIXTURE_DOCS.length + 2);
    // ... and by a reindex when it changes a type (a boolean becomes a facet).
    const withFlag = {
      ...withTier,
      fields: { ...withTier.fields, deprecated: { type: 'boolean', facet: true } },
    };
    await svc.reindex('pkgs', withFlag);
    expectInSync([...base, 'c_deprecated', 'c_tier'].sort(), FIXTURE_DOCS.length + 2);
    await svc.putDocument('pkgs', 'flagged', { summary: 'flagged', deprecated: true });
    const flagged = await svc.search('pkgs', { q: 'flagged', facets: 'deprecated' });
    expect(flagged.facets.deprecated!.buckets).toEqual([{ value: true, count: 1 }]);

    // The kept version received the write through the change log's replay, its facet table with it.
    await svc.rollbackReindex('pkgs');
    expectInSync([...base, 'c_tier'].sort(), FIXTURE_DOCS.length + 3);
  });

  it('is built when a database made before it is opened', async () => {
    const { dir, engine, svc } = await fresh();
    await svc.importDocuments('pkgs', FIXTURE_DOCS);
    const want = await svc.search('pkgs', { q: 'react', facets: 'scope,license' });
    const { tid } = facetState(engine);
    await engine.close();
    raw(engine, (db) => {
      for (const sql of dropFacetSql(tid)) db.exec(sql);
    });

    const again = await temp.open(dir);
    expect(facetState(again.engine)).toMatchObject({ rows: FIXTURE_DOCS.length, mismatched: 0, triggers: 3 });
    expect((await again.svc.search('pkgs', { q: 'react', facets: 'scope,license' })).facets).toEqual(
      want.facets,
    );
  });

  const requests: RawSearchInput[] = [
    { q: 'react', facets: 'scope,license,downloads' },
    { q: 'react', filter: 'license = "MIT"', facets: 'scope,license' },
    { q: 'react', filter: 'license = "MIT" AND downloads >= 1000000', facets: 'scope,license,downloads' },
    { q: 'reac', facets: [{ field: 'license', size: 1 }] },
    { q: 'types -react', facets: 'scope' },
    {
      q: 'react',
      facets: [
        {
          field: 'downloads',
          ranges: [{ to: 1_000_000 }, { from: 1_000_000, to: 75_000_000 }, { from: 0 }],
        },
        { field: 'license' },
        { field: 'scope' },
      ],
    },
    { q: 'react', filter: 'downloads < 75000000', facets: [{ field: 'downloads', stats: true }] },
    { q: 'react', filter: 'scope = "@nothing"', facets: [{ field: 'downloads', stats: true }, 'scope'] },
    { filter: 'license = "MIT"', facets: 'scope,license' },
  ];
  const runAll = (svc: SearchService) =>
    Promise.all(requests.map((r) => svc.search('pkgs', { ...r, size: 0 })));

  it('gets its change log when a database made before it is opened, and counts from columns with it', async () => {
    const { dir, engine, svc } = await fresh();
    await svc.importDocuments('pkgs', FIXTURE_DOCS);
    const { tid } = facetState(engine);
    await engine.close();
    // What a database made before the log holds: the facet table, without the log and its triggers.
    raw(engine, (db) => {
      for (const t of ['lai', 'lau', 'lad']) db.exec(`DROP TRIGGER x_${tid}_${t}`);
      db.exec(`DROP TABLE ${facetLogTable(tid)}`);
    });
    const { engine: again, svc: svc2 } = await temp.open(dir, { readers: 0 });
    const logged = () =>
      raw(
        again,
        (db) =>
          db
            .prepare(`SELECT count(*) FROM ${facetLogTable(tid)}`)
            .pluck()
            .get() as number,
      );
    expect(logged()).toBe(0);
    await svc2.putDocument('pkgs', 'logged', { summary: 'react logged', scope: '@new' });
    expect(logged()).toBe(1);
    const before = { ...facetColumnLimits };
    facetColumnLimits.columnsAt = 0;
    try {
      const read = facetColumnActivity.readWhole;
      const r = await svc2.search('pkgs', { q: 'react', facets: 'scope', size: 0 });
      expect(facetColumnActivity.readWhole).toBe(read + 1);
      expect(r.facets.scope!.buckets).toContainEqual({ value: '@new', count: 1 });
    } finally {
      Object.assign(facetColumnLimits, before);
    }
  });

  it('counts what the per-facet queries over the documents count', async () => {
    const { engine, svc } = await fresh();
    await svc.importDocuments('pkgs', FIXTURE_DOCS);
    const run = () => runAll(svc);
    const narrow = await run();
    // Without the facet table the engine counts with one query per facet over the documents, as it used to.
    raw(engine, (db) => {
      for (const sql of dropFacetSql(facetState(engine).tid)) db.exec(sql);
    });
    const wide = await run();
    narrow.forEach((n, i) => {
      expect(JSON.stringify(n.facets), JSON.stringify(requests[i])).toBe(JSON.stringify(wide[i]!.facets));
    });
    // The requests do count something.
    expect(narrow[0]!.facets.license!.buckets!.length).toBeGreaterThan(0);
    expect(narrow[6]!.facets.downloads!.stats!.count).toBeGreaterThan(0);
  });

  it('counts from in-memory columns what SQL counts, and keeps them current across writes', async () => {
    // Searches on this thread, so the limits set here are the ones the engine reads.
    const { svc } = await temp.open(undefined, { readers: 0 });
    await svc.putIndex('pkgs', FIXTURE_SCHEMA);
    await svc.importDocuments('pkgs', FIXTURE_DOCS);
    const sqlThenColumns = async () => {
      facetColumnLimits.enabled = false;
      const sql = await runAll(svc);
      facetColumnLimits.enabled = true;
      const columns = await runAll(svc);
      columns.forEach((c, i) => {
        expect(JSON.stringify(c.facets), JSON.stringify(requests[i])).toBe(JSON.stringify(sql[i]!.facets));
      });
      return sql;
    };
    const before = { ...facetColumnLimits };
    facetColumnLimits.columnsAt = 0;
    try {
      const read = facetColumnActivity.readWhole;
      const first = await sqlThenColumns();
      expect(first[0]!.facets.scope!.buckets!.length).toBeGreaterThan(0);
      expect(facetColumnActivity.readWhole).toBeGreaterThan(read);
      const { readWhole, patchedRows } = facetColumnActivity;
      // Patched in from the change log: a new value, a value moved, a row gone, a batch.
      await svc.putDocument('pkgs', 'brand-new', { summary: 'react new', scope: '@new', downloads: 5 });
      await svc.putDocument('pkgs', 'react', { summary: 'react changed', scope: '@moved', downloads: 3 });
      await svc.deleteDocument('pkgs', 'react-dom');
      await svc.importDocuments('pkgs', [
        { name: 'batch-a', summary: 'react a', scope: '@new', license: 'MIT', downloads: 7 },
        { name: '@types/react', summary: 'react replaced', license: 'BSD-3-Clause' },
      ]);
      const second = await sqlThenColumns();
      expect(second[0]!.facets.scope!.buckets).toContainEqual({ value: '@new', count: 2 });
      // Kept, not read again: the rows written were patched in.
      expect(facetColumnActivity.readWhole).toBe(readWhole);
      expect(facetColumnActivity.patchedRows).toBeGreaterThan(patchedRows);
      // A reindex (a new version) and a schema change that rebuilds the facet table.
      await svc.reindex('pkgs');
      await sqlThenColumns();
      await svc.putIndex('pkgs', {
        ...FIXTURE_SCHEMA,
        fields: { ...FIXTURE_SCHEMA.fields, tier: { type: 'keyword', facet: true } },
      });
      await svc.putDocument('pkgs', 'tiered', { summary: 'react tiered', tier: 'gold', scope: '@new' });
      await sqlThenColumns();
    } finally {
      Object.assign(facetColumnLimits, before);
    }
  });
});
