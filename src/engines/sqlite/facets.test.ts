import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from '../conformance/fixtures.js';
import type { RawSearchInput } from '../../query/request.js';
import { SearchService } from '../../service/search-service.js';
import { dropFacetSql } from './ddl.js';
import { SqliteEngine } from './engine.js';

/** The embedded engine's facet table: kept equal to the documents on every write path, and counted from. */
describe('embedded engine facet table', () => {
  const dirs: string[] = [];
  const engines: SqliteEngine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const open = async (dir: string) => {
    const engine = new SqliteEngine({ dataDir: dir, readers: 1 });
    await engine.open();
    engines.push(engine);
    return { engine, svc: new SearchService(engine) };
  };
  const fresh = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sift-facets-'));
    dirs.push(dir);
    const { engine, svc } = await open(dir);
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
    engines.splice(engines.indexOf(engine), 1);
    raw(engine, (db) => {
      for (const sql of dropFacetSql(tid)) db.exec(sql);
    });

    const again = await open(dir);
    expect(facetState(again.engine)).toMatchObject({ rows: FIXTURE_DOCS.length, mismatched: 0, triggers: 3 });
    expect((await again.svc.search('pkgs', { q: 'react', facets: 'scope,license' })).facets).toEqual(
      want.facets,
    );
  });

  it('counts what the per-facet queries over the documents count', async () => {
    const { engine, svc } = await fresh();
    await svc.importDocuments('pkgs', FIXTURE_DOCS);
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
    const run = () => Promise.all(requests.map((r) => svc.search('pkgs', { ...r, size: 0 })));
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
});
