import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from '../conformance/fixtures.js';
import type { IndexSchema } from '../../schema/types.js';
import { SearchService } from '../../service/search-service.js';
import { SqliteEngine } from './engine.js';
import { highlightRows } from './highlight.js';

/** Both ways of reaching the page's rows (a lookup per row, one pass over the match) mark the same words. */
describe('embedded engine highlights', () => {
  let dir: string;
  let engine: SqliteEngine;
  let db: Database.Database;
  let schema: IndexSchema;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sift-hl-'));
    engine = new SqliteEngine({ dataDir: dir, readers: 1 });
    await engine.open();
    const svc = new SearchService(engine);
    await svc.putIndex('p', FIXTURE_SCHEMA);
    expect((await svc.importDocuments('p', FIXTURE_DOCS)).failed).toBe(0);
    schema = await svc.schemaOf('p');
    db = new Database(engine.path, { readonly: true });
  });
  afterAll(async () => {
    db?.close();
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['"typescri"*', '"react"*', '"r"*', '"dom"'])('%s', (match) => {
    const rowids = db
      .prepare(`SELECT rowid FROM f_1 WHERE f_1 MATCH ? LIMIT 5`)
      .pluck()
      .all(match) as number[];
    expect(rowids.length).toBeGreaterThan(0);
    const hl = { fields: ['summary'], pre_tag: '<b>', post_tag: '</b>', snippet_tokens: 24 };
    const each = highlightRows(db, 1, schema, match, rowids, hl, false);
    const once = highlightRows(db, 1, schema, match, rowids, hl, true);
    expect([...once.entries()].sort()).toEqual([...each.entries()].sort());
    expect([...each.values()].some((m) => m.summary?.[0]?.includes('<b>'))).toBe(true);
  });
});
