import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RawSearchInput } from '../../query/request.js';
import type { IndexSchema } from '../../schema/types.js';
import type { SearchService } from '../../service/search-service.js';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import type { SqliteEngine } from './engine.js';
import { bm25Stats } from './bm25.js';
import {
  BROAD_MATCHES,
  isBroad,
  popularFirst,
  textScoreBound,
  type PopularFirstQuery,
} from './popular-first.js';

const SCHEMA: IndexSchema = {
  id_field: 'name',
  fields: {
    name: { type: 'keyword', searchable: true, boost: 4, sortable: true },
    downloads: { type: 'integer', filterable: true, sortable: true, facet: true },
    scope: { type: 'keyword', searchable: true, boost: 2, facet: true, filterable: true },
    summary: { type: 'text', searchable: true, boost: 1 },
  },
  ranking: { exact_match: { fields: ['name'], boost: 100 }, popularity: { field: 'downloads', weight: 1 } },
} as unknown as IndexSchema;

/** Deterministic documents: a few very common words, heavy-tailed popularity with many ties. */
function corpus(n: number): Record<string, unknown>[] {
  let s = 7;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const common = ['alpha', 'beta', 'gamma', 'alphabet'];
  const rare = Array.from({ length: 300 }, (_, i) => `word${i}`);
  const docs: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 3 + Math.floor(rand() * 12) }, () =>
      rand() < 0.6 ? common[Math.floor(rand() * common.length)]! : rare[Math.floor(rand() * rare.length)]!,
    );
    docs.push({
      name: `pkg-${i}`,
      // Ties on purpose: ids must settle the order at every page boundary.
      downloads: rand() < 0.1 ? null : Math.floor(Math.exp(rand() * 14) / 50) * 50,
      scope: i % 7 === 0 ? '@seven' : null,
      summary: words.join(' '),
    });
  }
  // Popular rows in other scripts: tokenized here like FTS5 (日本語), or left to FTS5 to score (ǖ, ệ: FTS5's
  // remove_diacritics 2 folds them further than the query tokenizer).
  docs.push({ name: 'jp-gamma', downloads: 9_000_000, scope: null, summary: 'gamma 日本語 テキスト alpha' });
  docs.push({ name: 'viet-gamma', downloads: 8_000_000, scope: null, summary: 'Việt gamma ǖber beta alpha' });
  // An exact name with no popularity at all still ranks first.
  docs.push({ name: 'alpha', downloads: 0, scope: null, summary: 'alpha' });
  return docs;
}

/**
 * The popular-first plan against every match scored and sorted by SQL: the same pages, in the same order, with
 * and without a filter, by offset and by cursor.
 */
describe('embedded engine: broad queries read popular documents first', () => {
  const temp = tempSqlite('popular', { after: 'all' });
  let engine: SqliteEngine;
  let svc: SearchService;
  let db: Database.Database;

  beforeAll(async () => {
    ({ engine, svc } = await temp.open());
    await svc.putIndex('p', SCHEMA);
    const docs = corpus(12_000);
    for (let i = 0; i < docs.length; i += 2000) {
      const r = await svc.importDocuments('p', docs.slice(i, i + 2000));
      expect(r.failed).toBe(0);
    }
    db = temp.track(new Database(engine.path, { readonly: true }));
  }, 60_000);
  /** Every match scored by FTS5's bm25 plus the exact and popularity parts, ordered by score then id. */
  const everyMatch = (match: string, q: string, filter = '') =>
    db
      .prepare(
        `SELECT d.id, -bm25(f_1, 4, 2, 1) + (CASE WHEN lower(d.id) = ? THEN 100 ELSE 0 END) + coalesce(r.b, 0) AS score
         FROM f_1 JOIN d_1 d ON d.rowid = f_1.rowid LEFT JOIN r_1 r ON r.rowid = f_1.rowid
         WHERE f_1 MATCH ? ${filter} ORDER BY score DESC, d.id ASC`,
      )
      .all(q, match) as { id: string; score: number }[];

  const cases: { q: string; match: string; filter?: string; sql?: string }[] = [
    { q: 'alpha', match: '"alpha"*' },
    { q: 'gamma', match: '"gamma"*' },
    { q: 'alpha beta', match: '"alpha" AND "beta"*' },
    { q: 'alpha -word1', match: '("alpha") NOT ("word1")' },
    { q: 'beta', match: '"beta"*', filter: 'scope = "@seven"', sql: `AND d.c_scope = '@seven'` },
    { q: 'alpha', match: '"alpha"*', filter: 'downloads >= 1000', sql: 'AND d.c_downloads >= 1000' },
  ];

  it('takes the plan for these queries: each matches enough documents, and the bound is finite', () => {
    for (const c of cases.filter((x) => !x.filter)) {
      expect(isBroad(db, 1, c.match, BROAD_MATCHES)).toBe(true);
    }
    const bound = textScoreBound(bm25Stats(db, 1, ['"alpha"*']));
    expect(bound).toBeGreaterThan(0);
    expect(Number.isFinite(bound)).toBe(true);
  });

  /** The plan's query for one word being typed, as the service builds it (no exact-match field named it). */
  const typed = (word: string, extra: Partial<PopularFirstQuery> = {}): PopularFirstQuery => ({
    tid: 1,
    match: `"${word}"*`,
    groups: [[{ fts: `"${word}"*`, clause: { tokens: [word], prefix: true }, columns: null }]],
    text: { must: [{ tokens: [word], prefix: true }], mustNot: [], normalized: word },
    tier: null,
    columns: ['id', 'c_scope', 'c_summary'],
    weights: [4, 2, 1],
    fts5Score: { sql: '(-bm25(f_1, 4, 2, 1)) + coalesce(r.b, 0)', named: {} },
    exact: [],
    filter: null,
    after: null,
    skip: 0,
    size: 10,
    ...extra,
  });

  it('settles a page from the popular candidates, without scoring every match', () => {
    const page = popularFirst(db, typed('gamma'));
    expect(page).not.toBeNull();
    expect(page!.map((p) => p.id)).toEqual(
      everyMatch('"gamma"*', 'gamma')
        .slice(0, 10)
        .map((x) => x.id),
    );
  });

  it('the text bound is above every match text score', () => {
    const text = db
      .prepare(`SELECT -bm25(f_1, 4, 2, 1) AS s FROM f_1 WHERE f_1 MATCH ? ORDER BY s DESC LIMIT 1`)
      .pluck()
      .get('"gamma"*') as number;
    expect(text).toBeLessThan(textScoreBound(bm25Stats(db, 1, ['"gamma"*'])));
  });

  for (const c of cases) {
    it(`pages of "${c.q}"${c.filter ? ` with ${c.filter}` : ''} equal every match sorted`, async () => {
      const all = everyMatch(c.match, c.q, c.sql);
      expect(all.length).toBeGreaterThan(30);
      const base: RawSearchInput = { q: c.q, highlight: [], ...(c.filter ? { filter: c.filter } : {}) };
      for (const page of [1, 2, 7]) {
        const res = await svc.search('p', { ...base, size: 10, page });
        expect(res.hits.map((h) => h.id)).toEqual(all.slice((page - 1) * 10, page * 10).map((x) => x.id));
        expect(res.hits.map((h) => h.score)).toEqual(
          all.slice((page - 1) * 10, page * 10).map((x) => x.score),
        );
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 4; i++) {
        const res = await svc.search('p', { ...base, size: 7, ...(cursor ? { cursor } : {}) });
        seen.push(...res.hits.map((h) => h.id));
        cursor = res.next_cursor ?? undefined;
      }
      expect(seen).toEqual(all.slice(0, 28).map((x) => x.id));
    });
  }

  it('settles a second round however its popular matches are found and scored, with the same pages', () => {
    // A first round of 8 rows: 7 of these 12 calls per mode take a second round (checked by tracing the plan): each
    // word on its first page, word17 and word5 also from offset 10 and by cursor. The modes:
    // - met in memory, scored here (hereRowCost 0);
    // - met in memory, listed for FTS5's scan (hereRowCost 1e9);
    // - FTS5's scan alone (popularCap -1), looking up every match's popularity (listPopularAt -1) or listing the
    //   popular documents (4096).
    const filter = { sql: 'd.c_scope = ?', params: ['@seven'] };
    const modes = [
      { scoreHereAt: 0, hereRowCost: 0 },
      { scoreHereAt: 0, hereRowCost: 1e9 },
      { scoreHereAt: 0, popularCap: -1, listPopularAt: -1 },
      { scoreHereAt: 0, popularCap: -1, listPopularAt: 4096 },
    ];
    for (const mode of modes) {
      for (const [word, f] of [
        ['word17', null],
        ['word5', null],
        ['word3', filter],
      ] as const) {
        const all = everyMatch(`"${word}"*`, word, f ? `AND d.c_scope = '@seven'` : '');
        for (const skip of [0, 10, 60]) {
          const page = popularFirst(
            db,
            typed(word, { filter: f, skip, broadAt: 100, firstRound: 8, ...mode }),
          );
          const want = all.slice(skip, skip + 10);
          expect(
            page?.map((p) => [p.id, p.score]),
            `${word} from ${skip} ${JSON.stringify(mode)}`,
          ).toEqual(want.map((x) => [x.id, x.score]));
        }
        // By cursor: after the 9th hit, the next ten.
        const after = { score: all[8]!.score, id: all[8]!.id };
        const next = popularFirst(
          db,
          typed(word, { filter: f, after, broadAt: 100, firstRound: 8, ...mode }),
        );
        expect(next?.map((p) => p.id)).toEqual(all.slice(9, 19).map((x) => x.id));
      }
    }
  });

  it('settles a widened word by the bound of each match, its prefix phrase held by every match or not', () => {
    // "alpha"* with "alphabet": every match holds the prefix phrase (alphabet begins with alpha), which every
    // match's bound then counts; "beta"* with "gamma": some matches hold one, some the other, some both.
    const phrase = (word: string, prefix: boolean) => ({
      fts: `"${word}"${prefix ? '*' : ''}`,
      clause: { tokens: [word], prefix },
      columns: null,
    });
    const runs = [
      { match: '("alpha"* OR "alphabet")', group: [phrase('alpha', true), phrase('alphabet', false)] },
      { match: '("beta"* OR "gamma")', group: [phrase('beta', true), phrase('gamma', false)] },
    ];
    for (const { match, group } of runs) {
      const all = everyMatch(match, 'no-such-name');
      for (const mode of [{ hereRowCost: 0 }, { hereRowCost: 1e9 }]) {
        const knobs = { match, groups: [group], broadAt: 100, firstRound: 8, scoreHereAt: 0, ...mode };
        for (const skip of [0, 10, 60]) {
          const page = popularFirst(db, typed('alpha', { ...knobs, skip }));
          expect(
            page?.map((p) => [p.id, p.score]),
            `${match} from ${skip}`,
          ).toEqual(all.slice(skip, skip + 10).map((x) => [x.id, x.score]));
        }
      }
    }
  });

  it('bounds the total of a broad match without counting it, and counts it exactly when asked', async () => {
    const all = everyMatch('"gamma"*', 'gamma');
    expect(all.length).toBeGreaterThan(1000);
    const bounded = await svc.search('p', { q: 'gamma', highlight: [] });
    expect([bounded.total, bounded.total_relation]).toEqual([1000, 'gte']);
    const exact = await svc.search('p', { q: 'gamma', highlight: [], track_total: true });
    expect([exact.total, exact.total_relation]).toEqual([all.length, 'eq']);
  });

  it('ranks the exact name first whatever its popularity', async () => {
    const res = await svc.search('p', { q: 'alpha', size: 3, highlight: [] });
    expect(res.hits[0]!.id).toBe('alpha');
  });
});
