/**
 * Multi-search behaves the same on every engine: several searches of one or several indexes answered together,
 * each with its own answer or its own error, and the federated form merging them into one list ranked by each
 * search's scores relative to its best, times the search's weight.
 */
import { expect } from 'vitest';
import { isFederated, type FederatedResults, type MultiSearchBody } from '../../query/multi-search.js';
import { caseIndex } from './case-index.js';
import type { EngineDriver } from './driver.js';

type Check = (title: string, fn: () => Promise<void>) => void;

const SCHEMA = {
  id_field: 'id',
  fields: {
    id: { type: 'keyword' },
    title: { type: 'text', searchable: true },
    shelf: { type: 'keyword', filterable: true, facet: true },
  },
};

const DOCS: Record<string, unknown>[] = [
  { id: 'h1', title: 'the compiler handbook', shelf: 'tools' },
  { id: 'h2', title: 'a gardening almanac', shelf: 'home' },
  { id: 'h3', title: 'the quilting almanac', shelf: 'home' },
];

export function multiSearchCases(check: Check, svc: () => EngineDriver, idx: string): void {
  const books = 'conformance-multi-search';
  caseIndex(svc, books, SCHEMA, DOCS);

  const federated = async (body: MultiSearchBody): Promise<FederatedResults> => {
    const answer = await svc().multiSearch(body);
    if (!isFederated(answer)) throw new Error('expected a federated answer');
    return answer;
  };

  check('multi-search: answers each search in its place, one failing alone', async () => {
    const answer = await svc().multiSearch({
      searches: [
        { index: idx, q: 'typescript definitions', size: 2 },
        { index: books, q: 'almanac', facets: 'shelf' },
        { index: 'conformance-no-such-index', q: 'x' },
        { index: idx, filter: 'no_such_field = 1' },
        { index: idx, filter: 'scope = "@types"', sort: 'name', size: 50 },
        { index: books, q: 'almanac', weight: 2 },
      ],
    });
    if (isFederated(answer)) throw new Error('expected one answer per search');
    const [defs, almanacs, missing, badFilter, scoped, weighted] = answer.results;
    expect(defs).toMatchObject({ index: idx, status: 200, total: 3 });
    expect('hits' in defs! && defs.hits.map((h) => h.id)).toEqual(['@types/node', '@types/react']);
    expect(almanacs).toMatchObject({ index: books, status: 200, total: 2 });
    expect('hits' in almanacs! && almanacs.hits.map((h) => h.id).sort()).toEqual(['h2', 'h3']);
    expect('facets' in almanacs! && almanacs.facets.shelf?.buckets).toEqual([{ value: 'home', count: 2 }]);
    expect(missing).toMatchObject({ status: 404, error: { code: 'INDEX_NOT_FOUND' } });
    expect(badFilter).toMatchObject({ index: idx, status: 400, error: { code: 'INVALID_FILTER' } });
    expect('hits' in scoped! && scoped.hits.map((h) => h.id)).toEqual([
      '@types/node',
      '@types/react',
      '@types/react-dom',
    ]);
    // A weight means nothing without federation: refused for that search only.
    expect(weighted).toMatchObject({ status: 400, error: { code: 'INVALID_REQUEST' } });
  });

  check('multi-search: federation merges the indexes by relative score times weight', async () => {
    // One hit per search: each is its search's best, so it scores exactly its search's weight.
    const body = (babel: number, handbook: number): MultiSearchBody => ({
      searches: [
        { index: idx, q: 'babel', weight: babel },
        { index: books, q: 'handbook', weight: handbook },
      ],
      federation: { limit: 5 },
    });
    const heavyBooks = await federated(body(1, 2));
    expect(heavyBooks.hits.map((h) => [h.index, h.id, h.score, h.search])).toEqual([
      [books, 'h1', 2, 1],
      [idx, '@babel/core', 1, 0],
    ]);
    expect([heavyBooks.total, heavyBooks.total_relation, heavyBooks.partial]).toEqual([2, 'eq', false]);
    const heavyPackages = await federated(body(3, 0.5));
    expect(heavyPackages.hits.map((h) => [h.id, h.score])).toEqual([
      ['@babel/core', 3],
      ['h1', 0.5],
    ]);
  });

  check(
    'multi-search: a federated list keeps each search’s order, pages, and names a failed search',
    async () => {
      const answer = await federated({
        searches: [
          { index: idx, q: 'typescript definitions', weight: 0.5 },
          { index: books, q: 'handbook', weight: 1 },
          { index: 'conformance-no-such-index', q: 'x' },
          { index: books, q: 'almanac', size: 1 },
        ],
        federation: { limit: 3, offset: 1 },
      });
      // handbook (1) first, then the definitions at half their relative score, best first; offset 1 skips it.
      expect(answer.hits.map((h) => h.id)).toEqual(['@types/node', '@types/react', '@types/react-dom']);
      expect(answer.hits[0]!.score).toBe(0.5);
      for (const h of answer.hits) expect(h.score).toBeLessThanOrEqual(0.5);
      expect(answer.searches.map((s) => [s.index, s.status])).toEqual([
        [idx, 200],
        [books, 200],
        ['conformance-no-such-index', 404],
        [books, 400],
      ]);
      expect(answer.searches[3]).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
      expect(answer.searches[0]).not.toHaveProperty('hits');
      expect(answer.searches[0]).toMatchObject({ total: 3 });
      expect([answer.total, answer.partial]).toEqual([4, true]);
    },
  );

  check(
    'multi-search: a document two searches of one index find appears once, at its better score',
    async () => {
      const answer = await federated({
        searches: [
          { index: books, q: 'almanac', weight: 1 },
          { index: books, q: 'quilting', weight: 2 },
        ],
        federation: {},
      });
      const ids = answer.hits.map((h) => h.id);
      expect(ids).toEqual(['h3', 'h2']);
      expect(answer.hits[0]).toMatchObject({ score: 2, search: 1 });
    },
  );

  check('multi-search: refuses a federated window past the largest page for the whole request', async () => {
    await expect(
      svc().multiSearch({ searches: [{ index: books }], federation: { limit: 100, offset: 1 } }),
    ).rejects.toMatchObject({ code: 'WINDOW_TOO_LARGE' });
  });
}
