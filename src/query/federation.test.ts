import { describe, expect, it } from 'vitest';
import { federate, type FederatedList } from './federation.js';

const list = (index: string, weight: number, scored: [string, number | null][]): FederatedList => ({
  index,
  weight,
  hits: scored.map(([id, score]) => ({ id, score, document: { id } })),
});
const order = (hits: { index: string; id: string }[]) => hits.map((h) => `${h.index}/${h.id}`);

describe('federate', () => {
  it("divides each search's scores by its best, so raw scales do not decide the order", () => {
    // books scores in the tens, other in single digits: the raw scores would put every book first.
    const books = list('books', 1, [
      ['dune', 40],
      ['emma', 10],
    ]);
    const other = list('other', 1, [
      ['hobbit', 4],
      ['earthsea', 3],
    ]);
    const hits = federate([books, other], { offset: 0, limit: 10 });
    expect(order(hits)).toEqual(['books/dune', 'other/hobbit', 'other/earthsea', 'books/emma']);
    expect(hits.map((h) => h.score)).toEqual([1, 1, 0.75, 0.25]);
    expect(hits[2]).toMatchObject({ search: 1, search_score: 3, document: { id: 'earthsea' } });
  });

  it('multiplies by the weight and pages the merged list', () => {
    const books = list('books', 1, [
      ['dune', 40],
      ['emma', 30],
    ]);
    const other = list('other', 1.5, [
      ['hobbit', 4],
      ['earthsea', 2],
    ]);
    const all = federate([books, other], { offset: 0, limit: 10 });
    expect(order(all)).toEqual(['other/hobbit', 'books/dune', 'books/emma', 'other/earthsea']);
    expect(all.map((h) => h.score)).toEqual([1.5, 1, 0.75, 0.75]);
    expect(order(federate([books, other], { offset: 1, limit: 2 }))).toEqual(['books/dune', 'books/emma']);
  });

  it('breaks ties by rank, then by search order, and counts a hit without a score as the best', () => {
    const a = list('a', 1, [
      ['x', null],
      ['y', 5],
    ]);
    const b = list('b', 1, [['z', 5]]);
    expect(order(federate([a, b], { offset: 0, limit: 10 }))).toEqual(['a/x', 'b/z', 'a/y']);
    expect(order(federate([b, a], { offset: 0, limit: 10 }))).toEqual(['b/z', 'a/x', 'a/y']);
  });

  it('shows a document two searches of one index found once, with its better score', () => {
    const first = list('books', 1, [
      ['dune', 10],
      ['emma', 5],
    ]);
    const second = list('books', 1, [
      ['emma', 8],
      ['dune', 2],
    ]);
    const hits = federate([first, second], { offset: 0, limit: 10 });
    expect(order(hits)).toEqual(['books/dune', 'books/emma']);
    expect(hits.map((h) => [h.score, h.search])).toEqual([
      [1, 0],
      [1, 1],
    ]);
    // The same id in another index is another document.
    expect(federate([first, list('other', 1, [['dune', 1]])], { offset: 0, limit: 10 })).toHaveLength(3);
  });

  it('answers nothing for no hits, or a window past the end', () => {
    expect(federate([list('a', 1, [])], { offset: 0, limit: 10 })).toEqual([]);
    expect(federate([list('a', 1, [['x', 1]])], { offset: 5, limit: 10 })).toEqual([]);
  });
});
