import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyRelevance, EXACT_TIER } from '../../query/relevance.js';
import type { RawSearchInput } from '../../query/request.js';
import { parseTextQuery } from '../../query/text-query.js';
import type { IndexSchema } from '../../schema/types.js';
import type { SearchService } from '../../service/search-service.js';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import type { SqliteEngine } from './engine.js';
import { popularFirst, type PopularFirstQuery } from './popular-first.js';
import { typoMatch } from './typo.js';

const SCHEMA: IndexSchema = {
  id_field: 'name',
  fields: {
    name: { type: 'keyword', searchable: true, boost: 4, sortable: true },
    downloads: { type: 'integer', filterable: true, sortable: true, facet: true },
    scope: { type: 'keyword', searchable: true, boost: 2, facet: true, filterable: true },
    summary: { type: 'text', searchable: true, boost: 1 },
  },
  ranking: { exact_match: { fields: ['name'], boost: 100 }, popularity: { field: 'downloads', weight: 1 } },
  synonyms: [{ words: ['omega', 'zeta'] }],
} as unknown as IndexSchema;

/**
 * Common words whose typo corrections are in the vocabulary: "gamma" has a common one (gammo, in about half
 * the documents: too many to read whole, so it stays in the bound) and a rare one (gamme); "delta" a rare one
 * (delto). "gammaray" begins with gamma (the word being typed) without being it (no whole-word tier).
 */
function corpus(n: number): Record<string, unknown>[] {
  let s = 11;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const common = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'zeta', 'gammo'];
  const special = ['gamme', 'delto', 'gammaray', 'zetas'];
  const rare = Array.from({ length: 300 }, (_, i) => `word${i}`);
  const pick = (arr: string[]) => arr[Math.floor(rand() * arr.length)]!;
  const docs: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 3 + Math.floor(rand() * 12) }, () => {
      const r = rand();
      return r < 0.55 ? pick(common) : r < 0.56 ? pick(special) : pick(rare);
    });
    docs.push({
      name: `pkg-${i}`,
      // Ties on purpose: ids must settle the order at every page boundary.
      downloads: rand() < 0.1 ? null : Math.floor(Math.exp(rand() * 14) / 50) * 50,
      // A correction in a field typos may be turned off on; a small scope where the tier ends within the pages.
      scope: i % 200 === 0 ? '@few' : i % 11 === 0 ? '@gamme' : i % 7 === 0 ? '@seven' : null,
      summary: words.join(' '),
    });
  }
  // Named by the word as typed, and by a correction of it (half the exact-name boost), with no popularity.
  docs.push({ name: 'gamma', downloads: 0, scope: null, summary: 'gamma' });
  docs.push({ name: 'gamme', downloads: 0, scope: null, summary: 'gamme word7' });
  // Unpopular documents whose rare correction (high idf) earns them a place where popularity weighs little: only
  // reading the rare correction's documents whole finds them before every match is scored.
  docs.push({ name: 'rare-1', downloads: 0, scope: null, summary: 'gamme gamme gamme' });
  docs.push({ name: 'rare-2', downloads: 0, scope: '@few', summary: 'delto delto word3' });
  docs.push({ name: 'rare-3', downloads: null, scope: null, summary: 'gamma gamme gamme' });
  return docs;
}

/**
 * Typo tolerance widens a common word with its corrections (an OR of phrases, each with its own idf in bm25);
 * synonyms do the same. The popular-first plan must give the pages and scores the plain SQL path gives: that
 * path is taken by sorting on the score and then the id field, which is the same order.
 */
describe('embedded engine: broad queries widened by typo corrections and synonyms', () => {
  const temp = tempSqlite('widened', { after: 'all' });
  let engine: SqliteEngine;
  let svc: SearchService;
  let db: Database.Database;

  beforeAll(async () => {
    ({ engine, svc } = await temp.open());
    await svc.putIndex('p', SCHEMA);
    await svc.putIndex('q', {
      ...SCHEMA,
      typo_tolerance: {
        enabled: true,
        min_word_size: { one_typo: 5, two_typos: 9 },
        disable_on_fields: ['scope'],
      },
    } as IndexSchema);
    // Popularity weighing little: the text score decides more of the page, and rare corrections reach it.
    await svc.putIndex('w', {
      ...SCHEMA,
      ranking: { ...SCHEMA.ranking, popularity: { field: 'downloads', weight: 0.3 } },
    } as IndexSchema);
    const docs = corpus(12_000);
    for (const index of ['p', 'q', 'w']) {
      for (let i = 0; i < docs.length; i += 2000) {
        const r = await svc.importDocuments(index, docs.slice(i, i + 2000));
        expect(r.failed).toBe(0);
      }
    }
    db = temp.track(new Database(engine.path, { readonly: true }));
  }, 120_000);
  const widened = (q: string) => applyRelevance(parseTextQuery(q), SCHEMA, { typos: true })!;

  it('the corrections are there: gamma is widened to a common and a rare one, delta to a rare one', () => {
    const gamma = typoMatch(db, 1, SCHEMA, widened('gamma'));
    expect(gamma.groups!.flat().map((p) => p.fts)).toEqual(['"gamma"*', '"gammo"', '"gamme"']);
    expect(gamma.exact).toBe('"gamma"');
    const delta = typoMatch(db, 1, SCHEMA, widened('delta'));
    expect(delta.groups!.flat().map((p) => p.fts)).toEqual(['"delta"*', '"delto"']);
  });

  /**
   * The first `size` hits of `q` on `index` by the plain SQL path (sorting on the score, then the id field, takes
   * it), with the filter `downloads >= 1000` when asked: what the plan's pages are compared with.
   */
  const sqlPages = async (index: string, q: string, filtered: boolean, size: number) =>
    (
      await svc.search(index, {
        q,
        highlight: [],
        sort: '_score,name',
        size,
        ...(filtered ? { filter: 'downloads >= 1000' } : {}),
      })
    ).hits.map((h) => [h.id, h.score]);

  /** The plan's query for `q` on index p (or `tid`), as the service builds it (no document is named after these queries). */
  const planned = (q: string, extra: Partial<PopularFirstQuery>, tid = 1): PopularFirstQuery => {
    const text = widened(q);
    const typo = typoMatch(db, tid, SCHEMA, text);
    const f = `f_${tid}`;
    return {
      tid,
      match: typo.match!,
      groups: typo.groups!,
      text,
      tier: {
        boost: EXACT_TIER,
        groups: text.must.map((c) => [
          { fts: `"${c.tokens.join(' ')}"`, clause: { ...c, prefix: false }, columns: null },
        ]),
        match: typo.exact!,
      },
      columns: ['id', 'c_scope', 'c_summary'],
      weights: [4, 2, 1],
      fts5Score: {
        sql: `(-bm25(${f}, 4, 2, 1)) + (CASE WHEN ${f}.rowid IN (SELECT rowid FROM ${f} WHERE ${f} MATCH @exact_text) THEN ${EXACT_TIER} ELSE 0 END) + coalesce(r.b, 0)`,
        named: { exact_text: typo.exact! },
      },
      exact: [],
      filter: null,
      after: null,
      skip: 0,
      size: 10,
      ...extra,
    };
  };

  it('takes the plan for a widened common word and settles the same page as SQL', async () => {
    const page = popularFirst(db, planned('delta', {}));
    expect(page).not.toBeNull();
    const ref = await svc.search('p', { q: 'delta', highlight: [], sort: '_score,name', size: 10 });
    expect(page!.map((p) => [p.id, p.score])).toEqual(ref.hits.map((h) => [h.id, h.score]));
  });

  it('leaves the rows read whole to FTS5 when there are many, with the same pages', async () => {
    // scoreReadWholeAt 0: the rare alternatives' documents (and the tier's, when read whole) wait for the second
    // round, which FTS5 scores with them (checked by tracing the plan: every call here defers them).
    const downloads = { sql: 'd.c_downloads >= ?', params: [1000] };
    const runs: [string, typeof downloads | null][] = [
      ['delta', null],
      ['delto', null],
      ['delta gamma', null],
      ['delta', downloads],
    ];
    for (const [q, filter] of runs) {
      const ref = await sqlPages('p', q, filter !== null, 70);
      expect(ref.length).toBeGreaterThan(20);
      // popularCap -1: FTS5's scan judges the matches, with the waiting rows listed; otherwise each match is judged
      // by its own bound first.
      for (const popularCap of [undefined, -1]) {
        const knobs = { filter, scoreReadWholeAt: 0, ...(popularCap ? { popularCap } : {}) };
        for (const skip of [0, 10, 60]) {
          const page = popularFirst(db, planned(q, { ...knobs, skip }));
          expect(page?.map((p) => [p.id, p.score])).toEqual(ref.slice(skip, skip + 10));
        }
        const [id, score] = ref[8] as [string, number];
        const next = popularFirst(db, planned(q, { ...knobs, after: { id, score } }));
        expect(next?.map((p) => [p.id, p.score])).toEqual(ref.slice(9, 19));
      }
    }
  });

  it('judges each match by the phrases and the tier it holds, scored here or by FTS5, with the same pages', async () => {
    // scoreHereAt 0 sends every second round to the matches that can reach the page (each with its own bound:
    // the widened word's alternatives it holds, the tier when it holds the word as typed); hereRowCost 0 scores
    // them here, 1e9 lists them for FTS5; popularCap 1 has each match's popularity looked up instead of its place
    // in the popularity order. A first round of 16 rows leaves a second round to most calls. (No
    // document is named after these queries: the planned query leaves the exact-name boost out.)
    const downloads = { sql: 'd.c_downloads >= ?', params: [1000] };
    const runs: [string, string, typeof downloads | null][] = [
      ['p', 'delta', null],
      ['p', 'delta gamma', null],
      ['p', 'gamma delta', null],
      ['p', 'delta', downloads],
      ['w', 'delta', null],
      ['w', 'gamma delta', null],
      ['w', 'delta gamma', null],
    ];
    for (const [index, q, filter] of runs) {
      const tid = db.prepare(`SELECT tid FROM sift_indexes WHERE name = ?`).pluck().get(index) as number;
      const ref = await sqlPages(index, q, filter !== null, 40);
      expect(ref.length).toBeGreaterThan(20);
      for (const mode of [{ hereRowCost: 0 }, { hereRowCost: 1e9 }, { hereRowCost: 0, popularCap: 1 }]) {
        const knobs = { filter, firstRound: 16, scoreHereAt: 0, ...mode };
        for (const skip of [0, 25]) {
          const page = popularFirst(db, planned(q, { ...knobs, skip }, tid));
          expect(
            page?.map((p) => [p.id, p.score]),
            `${index} ${q} from ${skip} ${JSON.stringify(mode)}`,
          ).toEqual(ref.slice(skip, skip + 10));
        }
        const [id, score] = ref[8] as [string, number];
        const next = popularFirst(db, planned(q, { ...knobs, after: { id, score } }, tid));
        expect(next?.map((p) => [p.id, p.score])).toEqual(ref.slice(9, 19));
      }
    }
  });

  it("lists the documents of the phrases with the fewest for FTS5's second round: none, an alternative, a whole word, with the same pages", async () => {
    // On w, where popularity weighs little, the text decides most of a page: the second round must find
    // documents far from the most popular. Its phrases: "delta"* and "delto"; "gamma", "gammo" and "gamme"
    // (read whole as rare, gamme); the listed ones by index among them.
    const tid = db.prepare(`SELECT tid FROM sift_indexes WHERE name = 'w'`).pluck().get() as number;
    const downloads = { sql: 'd.c_downloads >= ?', params: [1000] };
    const runs: [string, typeof downloads | null, number[][]][] = [
      ['delta', null, [[], [0]]],
      ['gamma delta', null, [[], [1], [0, 1], [3], [3, 4]]],
      ['delta gamma', null, [[], [1], [3], [2, 3]]],
      ['delta', downloads, [[], [0]]],
    ];
    for (const [q, filter, listings] of runs) {
      const ref = await sqlPages('w', q, filter !== null, 40);
      expect(ref.length).toBeGreaterThan(20);
      for (const listed of listings) {
        const base = { filter, listed, scoreHereAt: 0, firstRound: 16, popularCap: -1 };
        for (const skip of [0, 25]) {
          const page = popularFirst(db, planned(q, { ...base, skip }, tid));
          expect(
            page?.map((p) => [p.id, p.score]),
            `${q} listing ${listed} from ${skip}`,
          ).toEqual(ref.slice(skip, skip + 10));
        }
        const [id, score] = ref[8] as [string, number];
        const next = popularFirst(db, planned(q, { ...base, after: { id, score } }, tid));
        expect(next?.map((p) => [p.id, p.score])).toEqual(ref.slice(9, 19));
      }
    }
  });

  const cases: { index: string; q: string; filter?: string }[] = [
    { index: 'p', q: 'gamma' },
    { index: 'p', q: 'delta' },
    { index: 'p', q: 'gamma delta' },
    { index: 'p', q: 'delta gamma ' },
    { index: 'p', q: 'gamma -word1' },
    { index: 'p', q: 'omega' },
    { index: 'p', q: 'gammx' },
    // Typed as a rare word that the corrections widen to common ones: the documents holding it as typed are
    // read whole, so the tier's bonus leaves the bound.
    { index: 'p', q: 'gamme' },
    { index: 'p', q: 'delto' },
    { index: 'p', q: 'delto', filter: 'downloads >= 1000' },
    { index: 'p', q: 'gamma', filter: 'scope = "@seven"' },
    { index: 'p', q: 'gamma', filter: 'scope = "@few"' },
    { index: 'p', q: 'delta', filter: 'downloads >= 1000' },
    { index: 'q', q: 'gamma' },
    { index: 'q', q: 'gamma alpha' },
    { index: 'w', q: 'gammx' },
    { index: 'w', q: 'gamma' },
    { index: 'w', q: 'delta' },
    { index: 'w', q: 'delta gamma' },
    { index: 'w', q: 'delta', filter: 'scope = "@few"' },
  ];

  for (const c of cases) {
    it(`pages of "${c.q}" on ${c.index}${c.filter ? ` with ${c.filter}` : ''} equal the SQL path`, async () => {
      const base: RawSearchInput = { q: c.q, highlight: [], ...(c.filter ? { filter: c.filter } : {}) };
      const ref = (await svc.search(c.index, { ...base, sort: '_score,name', size: 70 })).hits.map((h) => [
        h.id,
        h.score,
      ]);
      expect(ref.length).toBeGreaterThan(20);
      for (const page of [1, 2, 7]) {
        const res = await svc.search(c.index, { ...base, size: 10, page });
        expect(res.hits.map((h) => [h.id, h.score])).toEqual(ref.slice((page - 1) * 10, page * 10));
      }
      const seen: unknown[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 4; i++) {
        const res = await svc.search(c.index, { ...base, size: 7, ...(cursor ? { cursor } : {}) });
        seen.push(...res.hits.map((h) => [h.id, h.score]));
        cursor = res.next_cursor ?? undefined;
      }
      expect(seen).toEqual(ref.slice(0, 28));
    });
  }

  it('ranks the name as typed first, and names of corrections first for a word not in the index', async () => {
    const typed = await svc.search('p', { q: 'gamma', size: 1, highlight: [] });
    expect(typed.hits.map((h) => h.id)).toEqual(['gamma']);
    const misspelt = await svc.search('p', { q: 'gammx', size: 2, highlight: [] });
    expect(misspelt.hits.map((h) => h.id).sort()).toEqual(['gamma', 'gamme']);
  });

  it('the scope with few documents crosses the whole-word tier within the pages compared', async () => {
    const res = await svc.search('p', { q: 'gamma', filter: 'scope = "@few"', size: 70, highlight: [] });
    const tiered = res.hits.filter((h) => h.score! >= EXACT_TIER).length;
    expect(tiered).toBeGreaterThan(0);
    expect(tiered).toBeLessThan(res.hits.length);
  });
});
