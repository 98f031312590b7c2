import { describe, expect, it } from 'vitest';
import {
  packedEventCount,
  packedSearchCount,
  packRows,
  writeEventColumns,
  writeSearchColumns,
} from './packed-rows.js';
import type { EventRecord, SearchRecord } from './types.js';

const search = (over: Partial<SearchRecord> = {}): SearchRecord => ({
  at: 1_767_225_600_123,
  index: 'books',
  query: 'dune',
  filterFields: ['genre', 'year'],
  hits: 42,
  latencyMs: 1.234,
  principal: 'key:k1',
  ...over,
});
const event = (over: Partial<EventRecord> = {}): EventRecord => ({
  at: 1_767_225_600_456,
  type: 'click',
  index: 'books',
  query: 'dune',
  docId: 'd7',
  position: 3,
  principal: 'anonymous',
  ...over,
});

const searchColumns = (rows: ReturnType<typeof packRows>, i: number) => {
  const p: unknown[] = [];
  writeSearchColumns(rows, i, p, 0);
  return p;
};
const eventColumns = (rows: ReturnType<typeof packRows>, i: number) => {
  const p: unknown[] = [];
  writeEventColumns(rows, i, p, 0);
  return p;
};

describe('packed analytics rows', () => {
  it('give back every column of every search and event, in the stored column order', () => {
    const rows = packRows(
      [search(), search({ query: '', filterFields: [], hits: 0, index: 'authors', principal: 'anonymous' })],
      [event(), event({ type: 'conversion', docId: 'd1', position: 1 })],
    );
    expect(packedSearchCount(rows)).toBe(2);
    expect(packedEventCount(rows)).toBe(2);
    expect(searchColumns(rows, 0)).toEqual([
      1_767_225_600_123,
      'books',
      'dune',
      'genre,year',
      42,
      1.234,
      'key:k1',
    ]);
    expect(searchColumns(rows, 1)).toEqual([1_767_225_600_123, 'authors', '', '', 0, 1.234, 'anonymous']);
    expect(eventColumns(rows, 0)).toEqual([
      1_767_225_600_456,
      'click',
      'books',
      'dune',
      'd7',
      3,
      'anonymous',
    ]);
    expect(eventColumns(rows, 1)).toEqual([
      1_767_225_600_456,
      'conversion',
      'books',
      'dune',
      'd1',
      1,
      'anonymous',
    ]);
  });

  it('hold each distinct string once however often rows repeat it (what keeps the clone small)', () => {
    const rows = packRows(
      Array.from({ length: 1000 }, (_, i) => search({ at: i })),
      [event()],
    );
    expect([...rows.strings].sort()).toEqual(
      ['anonymous', 'books', 'click', 'd7', 'dune', 'genre,year', 'key:k1'].sort(),
    );
    expect(searchColumns(rows, 999)[0]).toBe(999);
  });

  it('survive a structured clone (what postMessage does to them)', () => {
    const rows = structuredClone(packRows([search()], [event()]));
    expect(searchColumns(rows, 0)).toEqual(searchColumns(packRows([search()], [event()]), 0));
    expect(eventColumns(rows, 0)[3]).toBe('dune');
  });

  it('pack an empty flush', () => {
    const rows = packRows([], []);
    expect(packedSearchCount(rows)).toBe(0);
    expect(packedEventCount(rows)).toBe(0);
  });
});
