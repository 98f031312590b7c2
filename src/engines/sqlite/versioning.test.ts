import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from '../conformance/fixtures.js';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import type { SqliteEngine } from './engine.js';

/** What only the embedded engine can show: the tables on disk, a second connection, a crashed job. */
describe('embedded engine versions', () => {
  const { open, dir: temp } = tempSqlite('versions');
  const fresh = async () => {
    const dir = temp();
    const a = await open(dir);
    await a.svc.putIndex('pkgs', FIXTURE_SCHEMA);
    await a.svc.importDocuments('pkgs', FIXTURE_DOCS);
    return { dir, ...a };
  };
  const tables = (e: SqliteEngine) => {
    const db = new Database(e.path, { readonly: true });
    try {
      return (
        db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB '[dl]_*'`).all() as {
          name: string;
        }[]
      )
        .map((r) => r.name)
        .sort();
    } finally {
      db.close();
    }
  };

  it('keeps exactly the live and the previous version on disk', async () => {
    const { engine, svc } = await fresh();
    expect(tables(engine)).toEqual(['d_1']);
    await svc.reindex('pkgs');
    // v2 live with its change log for a rollback, v1 kept.
    expect(tables(engine)).toEqual(['d_1', 'd_2', 'l_2']);
    await svc.reindex('pkgs');
    expect(tables(engine)).toEqual(['d_2', 'd_3', 'l_3']);
    await svc.dropIndex('pkgs');
    expect(tables(engine)).toEqual([]);
  });

  it('makes a switch done through one connection visible to another one at once', async () => {
    const { dir, svc } = await fresh();
    const other = await open(dir);
    expect((await other.svc.search('pkgs', { q: 'react' })).hits[0]!.id).toBe('react');
    const changed = structuredClone(FIXTURE_SCHEMA) as unknown as { fields: Record<string, unknown> };
    changed.fields.stars = { type: 'integer', sortable: true };
    await svc.reindex('pkgs', changed);
    // The other engine's cached statements pointed at the old tables: its next write lands in the new version.
    await other.engine.upsert('pkgs', { id: 'late', document: { name: 'late', stars: 5 } });
    expect(await svc.getDocument('pkgs', 'late')).toMatchObject({ document: { stars: 5 } });
    expect(
      (
        await other.engine.search('pkgs', {
          text: null,
          filter: null,
          facets: [],
          sort: [{ field: 'stars', order: 'desc' }],
          size: 1,
          from: 0,
          after: null,
          highlight: null,
          fields: [],
          trackTotal: 1,
        })
      ).hits[0]!.id,
    ).toBe('late');
  });

  it('takes over the leftovers of a reindex whose process died', async () => {
    const { engine, svc } = await fresh();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const db = new Database(engine.path);
    db.prepare('UPDATE sift_indexes SET job = ? WHERE name = ?').run(
      JSON.stringify({
        kind: 'reindex',
        tid: 7,
        version: 2,
        token: 'crashed',
        pid: dead,
        host: hostname(),
        started_at: new Date().toISOString(),
        heartbeat: Date.now(),
      }),
      'pkgs',
    );
    db.exec('CREATE TABLE d_7 (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, src TEXT NOT NULL)');
    db.close();
    const res = await svc.reindex('pkgs');
    expect(res.documents).toBe(FIXTURE_DOCS.length);
    expect(tables(engine)).not.toContain('d_7');
  });

  it('refuses a schema change in place while a reindex runs', async () => {
    const { svc } = await fresh();
    // Enough documents for several copy batches, so the reindex is still running at the next call.
    await svc.importDocuments(
      'pkgs',
      Array.from({ length: 2000 }, (_, i) => ({ name: `bulk-${i}`, downloads: i })),
    );
    const running = svc.reindex('pkgs');
    await expect(svc.putIndex('pkgs', FIXTURE_SCHEMA)).rejects.toMatchObject({ code: 'REINDEX_IN_PROGRESS' });
    await running;
  });
});
