import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from '../conformance/fixtures.js';
import type { IndexSchema } from '../../schema/types.js';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import type { SqliteEngine } from './engine.js';
import { highlightRows } from './highlight.js';
import { pageHighlightMatch } from './highlight-match.js';

/** Both ways of reaching the page's rows (a lookup per row, one pass over the match) mark the same words. */
describe('embedded engine highlights', () => {
  const temp = tempSqlite('hl', { after: 'all' });
  let engine: SqliteEngine;
  let db: Database.Database;
  let schema: IndexSchema;
  beforeAll(async () => {
    const opened = await temp.open();
    engine = opened.engine;
    const svc = opened.svc;
    await svc.putIndex('p', FIXTURE_SCHEMA);
    expect((await svc.importDocuments('p', FIXTURE_DOCS)).failed).toBe(0);
    schema = await svc.schemaOf('p');
    db = temp.track(new Database(engine.path, { readonly: true }));
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

  it.each([
    ['react', 'typescri'],
    ['typescri', 'react'],
    ['react', 'dom'],
  ])('the words of the page that %s begins mark what the prefix marks (with %s)', (word, other) => {
    const prefix = { tokens: [word], prefix: true };
    const match = `("${word}"* OR "${other}") AND "${word}"*`;
    const rowids = db
      .prepare(`SELECT rowid FROM f_1 WHERE f_1 MATCH ? LIMIT 5`)
      .pluck()
      .all(match) as number[];
    expect(rowids.length).toBeGreaterThan(0);
    const expanded = pageHighlightMatch(db, 1, schema, match, [prefix], rowids);
    expect(expanded).not.toContain('*');
    const hl = { fields: ['name', 'summary'], pre_tag: '<b>', post_tag: '</b>', snippet_tokens: 64 };
    const byPrefix = highlightRows(db, 1, schema, match, rowids, hl, true);
    const byWords = highlightRows(db, 1, schema, expanded!, rowids, hl, false);
    expect([...byWords.entries()].sort()).toEqual([...byPrefix.entries()].sort());
  });

  it('keeps a phrase whole and leaves the query alone when no word is being typed', () => {
    const rowids = db
      .prepare(`SELECT rowid FROM f_1 WHERE f_1 MATCH '"react dom"*' LIMIT 3`)
      .pluck()
      .all() as number[];
    const expanded = pageHighlightMatch(
      db,
      1,
      schema,
      '"react dom"*',
      [{ tokens: ['react', 'dom'], prefix: true }],
      rowids,
    );
    expect(expanded).toMatch(/^\("react dom"( OR "react dom[a-z0-9]+")*\)$/);
    expect(pageHighlightMatch(db, 1, schema, '"react"', [], rowids)).toBe('"react"');
    const typed = db.prepare(`SELECT rowid FROM f_1 WHERE f_1 MATCH '"typescri"*'`).pluck().all() as number[];
    expect(
      pageHighlightMatch(db, 1, schema, '"typescri"*', [{ tokens: ['typescri'], prefix: true }], typed),
    ).toBe('("typescri" OR "typescript")');
  });
});
