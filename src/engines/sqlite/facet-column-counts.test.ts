import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  countable,
  integerStats,
  rangeCounts,
  tallies,
  topBuckets,
  valueOrder,
} from './facet-column-counts.js';
import { FacetColumn, type CellValue } from './facet-columns.js';
import { parseRowids } from './rowid-list.js';

/** A column holding `values` at rowids 1..n. */
function columnOf(values: CellValue[]): FacetColumn {
  const c = new FacetColumn(values.length + 1);
  values.forEach((v, i) => c.set(i + 1, v));
  return c;
}
const every = (n: number) => Float64Array.from({ length: n }, (_, i) => i + 1);

describe('facet counts over in-memory columns', () => {
  it('orders values as SQLite does: numbers, then text by UTF-8 bytes', () => {
    const values: CellValue[] = [
      'b',
      'a',
      'B',
      '\u{1F600}',
      '\uE000',
      'é',
      'ab',
      'a\u0000',
      10,
      9.5,
      -1,
      2,
      '',
    ];
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (const v of values) insert.run(v);
    const sqlite = db.prepare('SELECT v FROM t ORDER BY v ASC').pluck().all();
    db.close();
    expect([...values].sort(valueOrder)).toEqual(sqlite);
  });

  it('takes the buckets counted most, ties by value, as GROUP BY ... ORDER BY n DESC, v ASC LIMIT', () => {
    // Random values with many ties, compared with SQLite's own answer for several sizes.
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const values: CellValue[] = Array.from({ length: 3000 }, () => {
      const k = rand(10);
      return k === 0 ? null : k < 4 ? rand(40) : `v${rand(60)}`;
    });
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (const v of values) insert.run(v);
    const column = columnOf(values);
    const counts = tallies(column, every(values.length));
    for (const size of [1, 5, 10, 37, 200]) {
      const sqlite = db
        .prepare(
          'SELECT v, count(*) AS n FROM t WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC, v ASC LIMIT ?',
        )
        .all(size);
      expect(topBuckets(column, counts, size)).toEqual(sqlite);
    }
    db.close();
  });

  it('counts only the rowids given, and none past the column', () => {
    const column = columnOf(['a', 'b', 'a', null]);
    const counts = tallies(column, Float64Array.from([1, 3, 4, 99]));
    expect(topBuckets(column, counts, 10)).toEqual([{ v: 'a', n: 2 }]);
    expect(parseRowids('1,3,4,99')).toEqual(Float64Array.from([1, 3, 4, 99]));
    expect(parseRowids(null).length).toBe(0);
  });

  it('counts ranges and exact integer stats, and leaves to SQL what it would compute otherwise', () => {
    const column = columnOf([1, 5, 5, 10, null, 20]);
    const counts = tallies(column, every(6));
    const facet = { field: 'n', size: 10, ranges: [{ to: 5 }, { from: 5, to: 20 }, { from: 0 }] };
    expect(rangeCounts(column, counts, facet)).toEqual([1, 3, 5]);
    expect(integerStats(column, counts)).toEqual({ min: 1, count: 5, max: 20, avg: 41 / 5, sum: 41 });
    expect(integerStats(column, new Int32Array(counts.length))).toEqual({
      min: null,
      count: 0,
      max: null,
      avg: null,
      sum: null,
    });
    expect(countable(column, { field: 'n', size: 10, stats: true })).toBe(true);
    // A sum past 2^53 is not exact in a double: SQL computes it.
    const big = columnOf([2 ** 52, 2 ** 52, 2 ** 52]);
    expect(integerStats(big, tallies(big, every(3)))).toBeNull();
    // Text among the numbers: SQL compares it with the bounds by storage class.
    const mixed = columnOf([1, 'x']);
    expect(countable(mixed, { field: 'n', size: 10, ranges: [{ from: 0 }] })).toBe(false);
    expect(countable(mixed, { field: 'n', size: 10 })).toBe(true);
    // Fractions: SQL sums them with error compensation.
    expect(countable(columnOf([1.5]), { field: 'n', size: 10, stats: true })).toBe(false);
    // A value overwritten no longer counts as what it was.
    mixed.set(2, 3);
    expect(countable(mixed, { field: 'n', size: 10, stats: true })).toBe(true);
  });
});
