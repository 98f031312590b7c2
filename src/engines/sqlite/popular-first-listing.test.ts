import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/support/seeded-random.js';
import type { IndexSchema } from '../../schema/types.js';
import type { SearchService } from '../../service/search-service.js';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import type { SqliteEngine } from './engine.js';
import { popularFirst, type PopularFirstQuery } from './popular-first.js';

const SCHEMA: IndexSchema = {
  id_field: 'name',
  fields: {
    name: { type: 'keyword', searchable: true, boost: 4, sortable: true },
    downloads: { type: 'integer', filterable: true, sortable: true },
    summary: { type: 'text', searchable: true, boost: 1 },
  },
  ranking: { popularity: { field: 'downloads', weight: 1 } },
} as unknown as IndexSchema;

/**
 * A word (kappa) and an alternative (kappo) where the page needs documents far from the most popular: a few
 * short documents saying kappa three times earn a text score that lifts them above more popular ones, so only
 * a second round whose bound is right finds them. Popularity is spread evenly (ln of downloads from 0 to 12).
 */
function corpus(): Record<string, unknown>[] {
  const rand = seededRandom(2463534242);
  const filler = (n: number) => Array.from({ length: n }, () => `word${Math.floor(rand() * 500)}`).join(' ');
  const downloads = (lo: number, hi: number) => Math.floor(Math.exp(lo + rand() * (hi - lo)));
  const docs: Record<string, unknown>[] = [];
  const add = (summary: string, d: number) =>
    docs.push({ name: `doc-${docs.length}`, downloads: d, summary });
  for (let i = 0; i < 360; i++) add(`kappa ${filler(20)}`, downloads(6, 12));
  for (let i = 0; i < 40; i++) add('kappa kappa kappa', downloads(7, 10));
  for (let i = 0; i < 300; i++) add(`kappo ${filler(12)}`, downloads(0, 12));
  for (let i = 0; i < 2300; i++) add(filler(10), downloads(0, 12));
  return docs;
}

describe("embedded engine: the second round lists the documents of a query's rarer phrases", () => {
  const temp = tempSqlite('listing', { after: 'all' });
  let engine: SqliteEngine;
  let svc: SearchService;
  let db: Database.Database;

  beforeAll(async () => {
    ({ engine, svc } = await temp.open());
    await svc.putIndex('k', SCHEMA);
    const r = await svc.importDocuments('k', corpus());
    expect(r.failed).toBe(0);
    db = temp.track(new Database(engine.path, { readonly: true }));
  }, 60_000);
  /** Every match scored by FTS5's bm25 plus popularity, ordered by score then id. */
  const everyMatch = (match: string, where = '') =>
    db
      .prepare(
        `SELECT d.id, -bm25(f_1, 4, 1) + coalesce(r.b, 0) AS score
         FROM f_1 JOIN d_1 d ON d.rowid = f_1.rowid LEFT JOIN r_1 r ON r.rowid = f_1.rowid
         WHERE f_1 MATCH ? ${where} ORDER BY score DESC, d.id ASC`,
      )
      .all(match) as { id: string; score: number }[];

  const phrase = (word: string, prefix: boolean) => ({
    fts: `"${word}"${prefix ? '*' : ''}`,
    clause: { tokens: [word], prefix },
    columns: null,
  });
  const query = (extra: Partial<PopularFirstQuery>): PopularFirstQuery => ({
    tid: 1,
    match: '"kappa"* OR "kappo"',
    groups: [[phrase('kappa', true), phrase('kappo', false)]],
    text: { must: [{ tokens: ['kappa'], prefix: true }], mustNot: [], normalized: 'kappa' },
    tier: null,
    columns: ['id', 'c_summary'],
    weights: [4, 1],
    fts5Score: { sql: '(-bm25(f_1, 4, 1)) + coalesce(r.b, 0)', named: {} },
    exact: [],
    filter: null,
    after: null,
    skip: 0,
    size: 10,
    // The plan from a few hundred matches on, a first round of a few popular documents, no alternative read
    // whole (kappo would be: it is rare here), and FTS5 for the second round.
    broadAt: 100,
    firstRound: 8,
    rareRows: 0,
    scoreHereAt: 0,
    // FTS5's scan checks each match's popularity: the listings are what is compared (popular-first.test.ts
    // covers the matches met in memory).
    popularCap: -1,
    ...extra,
  });

  it('the short kappa documents reach the pages compared, from below the most popular', () => {
    const all = everyMatch('"kappa"* OR "kappo"');
    const short = new Set(everyMatch('"kappa kappa kappa"').map((x) => x.id));
    expect(all.slice(0, 35).filter((x) => short.has(x.id)).length).toBeGreaterThan(0);
  });

  it('gives the pages of every match scored, listing nothing, the alternative, or the whole word, with and without a filter', () => {
    // The filter drops the most popular documents: the page reaches further down, where listing matters more.
    const filter = { sql: 'd.c_downloads < ?', params: [20_000] };
    for (const f of [null, filter]) {
      const all = everyMatch('"kappa"* OR "kappo"', f ? 'AND d.c_downloads < 20000' : '');
      for (const listed of [[], [1], [0], [0, 1]]) {
        for (const skip of [0, 10, 25]) {
          const page = popularFirst(db, query({ listed, skip, filter: f }));
          expect(
            page?.map((p) => [p.id, p.score]),
            `listing ${listed} from ${skip}${f ? ' with the filter' : ''}`,
          ).toEqual(all.slice(skip, skip + 10).map((x) => [x.id, x.score]));
        }
        const after = { score: all[8]!.score, id: all[8]!.id };
        const next = popularFirst(db, query({ listed, after, filter: f }));
        expect(next?.map((p) => p.id)).toEqual(all.slice(9, 19).map((x) => x.id));
      }
    }
    const all = everyMatch('"kappa"* OR "kappo"');
    // And the plan's own choice, by its estimate of what each listing costs.
    expect(popularFirst(db, query({ skip: 25 }))?.map((p) => p.id)).toEqual(
      all.slice(25, 35).map((x) => x.id),
    );
  });
});
