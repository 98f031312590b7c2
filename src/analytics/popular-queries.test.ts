import { afterEach, describe, expect, it } from 'vitest';
import { aggregateSearches } from './aggregate.js';
import { mergeSuggestions, PopularQueries } from './popular-queries.js';
import { SqliteAnalyticsStore } from './sqlite-store.js';
import type { SearchRecord } from './types.js';

const NOW = Date.UTC(2026, 5, 10, 12);
const DAY = 86_400_000;

const stores: SqliteAnalyticsStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

/** A store in which each query was searched, with hits, by as many principals as given. */
async function storeWith(queries: Record<string, number>, at = NOW): Promise<SqliteAnalyticsStore> {
  const store = new SqliteAnalyticsStore(':memory:');
  stores.push(store);
  await store.migrate();
  const searches: SearchRecord[] = [];
  for (const [query, principals] of Object.entries(queries))
    for (let p = 0; p < principals; p++)
      searches.push({
        at,
        index: 'packages',
        query,
        filterFields: [],
        hits: 1,
        latencyMs: 1,
        principal: `key:${p}`,
      });
  await store.insert(aggregateSearches(searches), []);
  return store;
}

const rule = { minPrincipals: 2, minAnonymous: 0, days: 7 };

describe('popular queries', () => {
  it('completes what was typed, normalized, from the queries that pass the rule, most searched first', async () => {
    const popular = new PopularQueries(
      await storeWith({ react: 5, 'react hooks': 9, 'react-dom': 3, redux: 4, reactive: 1, vue: 8 }),
      rule,
      { refreshMs: 60_000, now: () => NOW },
    );
    expect(popular.complete('packages', 'rea', 5)).toEqual([]);
    await popular.refresh();
    expect(popular.complete('packages', '  REA', 5)).toEqual(['react hooks', 'react', 'react-dom']);
    expect(popular.complete('packages', 'react', 2)).toEqual(['react hooks', 'react']);
    expect(popular.complete('packages', 're', 10)).toEqual(['react hooks', 'react', 'redux', 'react-dom']);
    expect(popular.complete('packages', 'x', 5)).toEqual([]);
    expect(popular.complete('packages', '   ', 5)).toEqual([]);
    expect(popular.complete('other', 'rea', 5)).toEqual([]);
  });

  it('keeps to the window of days: today and the days before it', async () => {
    const old = await storeWith({ react: 5 }, NOW - 7 * DAY);
    const fresh = await storeWith({ react: 5 }, NOW - 6 * DAY);
    const at = (store: SqliteAnalyticsStore) =>
      new PopularQueries(store, rule, { refreshMs: 60_000, now: () => NOW });
    const [a, b] = [at(old), at(fresh)];
    await a.refresh();
    await b.refresh();
    expect(a.complete('packages', 'r', 5)).toEqual([]);
    expect(b.complete('packages', 'r', 5)).toEqual(['react']);
  });

  it('keeps what it holds when a reload fails, and says so', async () => {
    const store = await storeWith({ react: 5 });
    const errors: unknown[] = [];
    const popular = new PopularQueries(store, rule, {
      refreshMs: 60_000,
      now: () => NOW,
      onError: (e) => errors.push(e),
    });
    await popular.refresh();
    await store.close();
    await popular.refresh();
    expect(errors).toHaveLength(1);
    expect(popular.complete('packages', 'r', 5)).toEqual(['react']);
    // Once closed (the server shutting down before its store), a failed reload is not reported.
    popular.close();
    await popular.refresh();
    expect(errors).toHaveLength(1);
  });
});

describe('merging popular queries into suggestions', () => {
  const docs = (...texts: string[]) => texts.map((text) => ({ text, id: text.toLowerCase() }));
  const pop = (text: string) => ({ text, source: 'popular' });

  it('gives popular queries up to half the places, first, and the index the rest', () => {
    expect(
      mergeSuggestions(
        docs('React', 'Redux', 'Recoil', 'Remix'),
        ['react hooks', 'redux toolkit', 'rxjs'],
        5,
      ),
    ).toEqual([pop('react hooks'), pop('redux toolkit'), pop('rxjs'), ...docs('React', 'Redux')]);
    expect(mergeSuggestions(docs('React', 'Redux', 'Recoil'), ['a', 'b', 'c'], 4)).toEqual([
      pop('a'),
      pop('b'),
      ...docs('React', 'Redux'),
    ]);
  });

  it('lets either side fill the places the other cannot', () => {
    expect(mergeSuggestions(docs('React'), ['a', 'b', 'c', 'd'], 4)).toEqual([
      pop('a'),
      pop('b'),
      pop('c'),
      ...docs('React'),
    ]);
    expect(mergeSuggestions(docs('A', 'B', 'C'), [], 2)).toEqual(docs('A', 'B'));
    expect(mergeSuggestions([], ['a', 'b'], 5)).toEqual([pop('a'), pop('b')]);
  });

  it('leaves out a popular query an index suggestion already spells', () => {
    expect(mergeSuggestions(docs('React', 'Redux'), ['react', 'react hooks'], 4)).toEqual([
      pop('react hooks'),
      ...docs('React', 'Redux'),
    ]);
  });
});
