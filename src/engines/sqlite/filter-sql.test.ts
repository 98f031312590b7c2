import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldSpec } from '../../../test/support/schema.js';
import { MAX_TREE_DEPTH, MAX_TREE_NODES } from '../../query/filter-tree.js';
import type { Filter } from '../../query/types.js';
import type { IndexSchema } from '../../schema/types.js';
import { filterToSql } from './filter-sql.js';

const schema: IndexSchema = {
  id_field: 'name',
  fields: {
    name: fieldSpec('keyword'),
    n: fieldSpec('integer'),
    tag: fieldSpec('keyword'),
  },
  ranking: {},
};

/** A real database with one row per n in 0..ROWS-1 (tag "t<n mod 10>"), so every generated WHERE really runs. */
const ROWS = 2048;
let db: Database.Database;
beforeAll(() => {
  db = new Database(':memory:');
  db.exec('CREATE TABLE d (id TEXT PRIMARY KEY, c_n INTEGER, c_tag TEXT)');
  const insert = db.prepare('INSERT INTO d VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(`doc-${i}`, i, `t${i % 10}`);
  })();
});
afterAll(() => db.close());

const matching = (f: Filter): number[] => {
  const { sql, params } = filterToSql(f, schema, 1);
  return (
    db.prepare(`SELECT c_n AS n FROM d WHERE ${sql} ORDER BY c_n`).all(...params) as { n: number }[]
  ).map((r) => r.n);
};

const leaves = MAX_TREE_NODES - 1;
const range = (i: number): Filter => ({ kind: 'range', field: 'n', gte: i * 2, lt: i * 2 + 1 });

describe('filterToSql: wide and deep filters stay within what SQLite parses', () => {
  it(`runs an OR of ${leaves} ranges (the widest node the tree validator accepts)`, () => {
    const f: Filter = { kind: 'or', children: Array.from({ length: leaves }, (_, i) => range(i)) };
    expect(matching(f)).toEqual(Array.from({ length: leaves }, (_, i) => i * 2));
  });

  it(`runs an AND of ${leaves} conditions`, () => {
    const f: Filter = {
      kind: 'and',
      children: Array.from({ length: leaves }, (_, i) => ({ kind: 'range', field: 'n', gte: i })),
    };
    expect(matching(f)).toEqual(Array.from({ length: ROWS - (leaves - 1) }, (_, i) => i + leaves - 1));
  });

  it('runs an OR of single equalities as wide as the validator allows', () => {
    const f: Filter = {
      kind: 'or',
      children: Array.from({ length: leaves }, (_, i) => ({ kind: 'term', field: 'n', value: i })),
    };
    expect(matching(f)).toEqual(Array.from({ length: leaves }, (_, i) => i));
  });

  it('binds a long set as one parameter, so a thousand sets stay under the bound-parameter limit', () => {
    const sets: Filter = {
      kind: 'or',
      children: Array.from({ length: leaves }, (_, s) => ({
        kind: 'terms',
        field: 'name',
        values: Array.from({ length: 1024 }, (_, j) => `doc-${s * 1024 + j}`),
      })),
    };
    const { params } = filterToSql(sets, schema, 1);
    expect(params.length).toBe(leaves);
    expect(matching(sets)).toHaveLength(ROWS);
    const small: Filter = { kind: 'terms', field: 'tag', values: ['t1', 't2'] };
    expect(filterToSql(small, schema, 1).sql).toContain('IN (?, ?)');
    expect(matching(small)).toEqual(
      Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 10 === 1 || i % 10 === 2),
    );
  });

  it(`runs an alternating AND/OR/NOT chain ${MAX_TREE_DEPTH} levels deep`, () => {
    // n >= 0 AND (n = 7 OR NOT (n >= 0 AND (n = 7 OR NOT ...))), which is n = 7 or everything, level by level.
    let f: Filter = { kind: 'term', field: 'n', value: 7 };
    for (let level = 0; level < MAX_TREE_DEPTH; level++) {
      const kinds = ['and', 'or', 'not'] as const;
      const kind = kinds[level % 3]!;
      f =
        kind === 'not'
          ? { kind, child: f }
          : { kind, children: [f, kind === 'and' ? range(3) : { kind: 'term', field: 'n', value: 7 }] };
    }
    const { sql, params } = filterToSql(f, schema, 1);
    expect(() => db.prepare(`SELECT count(*) FROM d WHERE ${sql}`).get(...params)).not.toThrow();
  });
});

describe('filters on list fields', () => {
  it('look the values up in the list table, one element holding the whole condition', () => {
    const lists: IndexSchema = {
      ...schema,
      fields: { ...schema.fields, tags: { ...fieldSpec('keyword'), array: true } },
    };
    const mem = new Database(':memory:');
    try {
      mem.exec('CREATE TABLE d (rowid INTEGER PRIMARY KEY, c_tags TEXT)');
      mem.exec('CREATE TABLE a_7 (rowid INTEGER, f TEXT, v, PRIMARY KEY (rowid, f, v)) WITHOUT ROWID');
      mem.exec(`INSERT INTO d VALUES (1, '["a","b"]'), (2, '["b"]'), (3, NULL)`);
      mem.exec(`INSERT INTO a_7 VALUES (1, 'tags', 'a'), (1, 'tags', 'b'), (2, 'tags', 'b')`);
      const rows = (f: Filter) => {
        const { sql, params } = filterToSql(f, lists, 7);
        expect(sql).toContain('a_7');
        return mem
          .prepare(`SELECT rowid FROM d WHERE ${sql} ORDER BY rowid`)
          .pluck()
          .all(...params);
      };
      expect(rows({ kind: 'term', field: 'tags', value: 'b' })).toEqual([1, 2]);
      expect(rows({ kind: 'not', child: { kind: 'term', field: 'tags', value: 'a' } })).toEqual([2, 3]);
      expect(rows({ kind: 'terms', field: 'tags', values: ['a', 'x'] })).toEqual([1]);
      expect(rows({ kind: 'range', field: 'tags', gt: 'a', lt: 'c' })).toEqual([1, 2]);
    } finally {
      mem.close();
    }
  });
});
