// Multi-search and its federated form over HTTP, against a real listening server with API keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from '../auth/auth-server.js';

let s: AuthServer;
let admin: string;
let otherOnly: string;
let scifiOnly: string;
beforeAll(async () => {
  s = await startAuthServer();
  admin = (await s.key(['admin', 'search'])).key;
  otherOnly = (await s.key(['search'], { indexes: ['other'] })).key;
  const parent = await s.key(['search']);
  scifiOnly = (
    await s.call('POST', '/api/keys/scoped', {
      credential: admin,
      body: { parent: parent.id, filter: 'genre = scifi', expires: '1h' },
    })
  ).body.key as string;
});
afterAll(async () => s?.close());

interface Hit {
  id: string;
  score: number | null;
  index?: string;
}
const multi = (body: unknown, credential = admin) =>
  s.call('POST', '/api/multi-search', { credential, body });
const single = async (index: string, body: unknown, credential = admin) => {
  const res = await s.call('POST', `/api/indexes/${index}/search`, { credential, body });
  return res.body;
};
const withoutTook = ({ took_ms: _t, ...rest }: Record<string, unknown>) => rest;
const answerOf = ({ index: _i, status: _s, ...answer }: Record<string, unknown>) => answer;

describe('multi-search over HTTP (real server)', () => {
  it('answers each search in order, as the search route would, with its own errors in place', async () => {
    const searches = [
      { index: 'books', q: 'dune', facets: ['genre'] },
      { index: 'other', filter: 'genre = scifi', sort: 'id', fields: ['id', 'title'] },
      { index: 'books', q: 'planet', size: 'many' },
      { index: 'missing', q: 'x' },
      { index: 'books', filter: 'nosuch = 1' },
      { index: 'books', q: 'x', colour: 'red' },
      { q: 'no index' },
      { index: 'Not A Name' },
      { index: 'books', weight: 2 },
      { index: 'books', filter: 'genre = classic', sort: '-pages', size: 1 },
    ];
    const res = await multi({ searches });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const results = res.body.results as Record<string, unknown>[];
    expect(results.map((r) => [r.index, r.status, (r.error as { code?: string } | undefined)?.code])).toEqual(
      [
        ['books', 200, undefined],
        ['other', 200, undefined],
        ['books', 400, 'INVALID_REQUEST'],
        ['missing', 404, 'INDEX_NOT_FOUND'],
        ['books', 400, 'INVALID_FILTER'],
        ['books', 400, 'INVALID_REQUEST'],
        [null, 400, 'INVALID_REQUEST'],
        ['Not A Name', 400, 'INVALID_INDEX_NAME'],
        ['books', 400, 'INVALID_REQUEST'],
        ['books', 200, undefined],
      ],
    );
    expect((results[2]!.error as { message: string }).message).toContain('searches[2]: size');
    expect((results[5]!.error as { message: string }).message).toContain('colour');
    for (const pos of [0, 1, 9]) {
      const { index, ...params } = searches[pos]!;
      const alone = await single(index!, params);
      expect(withoutTook(answerOf(results[pos]!)), `search ${pos}`).toEqual(withoutTook(alone));
    }
    expect((results[0]!.hits as Hit[]).map((h) => h.id).sort()).toEqual(['dune', 'dune-messiah']);
    expect((results[1]!.hits as Hit[]).map((h) => h.id)).toEqual(['dune', 'dune-messiah']);
  });

  it('refuses a request with no searches, too many, or a bad federation, as a whole', async () => {
    for (const body of [
      {},
      { searches: [] },
      { searches: Array.from({ length: 21 }, () => ({ index: 'books' })) },
      { searches: [{ index: 'books' }], federation: { limit: 0 } },
      { searches: [{ index: 'books' }], federation: { size: 5 } },
      { searches: [{ index: 'books' }], extra: true },
      { searches: 'books' },
    ]) {
      const res = await multi(body);
      expect([res.status, res.body.error?.code], JSON.stringify(body)).toEqual([400, 'INVALID_REQUEST']);
    }
    const wide = await multi({ searches: [{ index: 'books' }], federation: { limit: 60, offset: 50 } });
    expect([wide.status, wide.body.error.code]).toEqual([400, 'WINDOW_TOO_LARGE']);
    const twenty = await multi({ searches: Array.from({ length: 20 }, () => ({ index: 'books', size: 1 })) });
    expect(twenty.status).toBe(200);
    expect(twenty.body.results).toHaveLength(20);
  });

  it("applies each key's index allowlist and a scoped key's filter to every search", async () => {
    expect(
      (await s.call('POST', '/api/multi-search', { body: { searches: [{ index: 'books' }] } })).status,
    ).toBe(401);
    const limited = await multi({ searches: [{ index: 'books' }, { index: 'other' }] }, otherOnly);
    expect(limited.status).toBe(200);
    expect(limited.body.results.map((r: { status: number }) => r.status)).toEqual([403, 200]);
    expect(limited.body.results[0].error.code).toBe('FORBIDDEN');
    expect(limited.body.results[0].hits).toBeUndefined();

    const scoped = await multi(
      {
        searches: [
          { index: 'books', filter: 'genre = classic' },
          { index: 'books', size: 50 },
        ],
      },
      scifiOnly,
    );
    expect(scoped.status).toBe(200);
    expect(scoped.body.results[0].total).toBe(0);
    const seen = scoped.body.results[1].hits as { document: { genre: string } }[];
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((h) => h.document.genre))).toEqual(new Set(['scifi']));
    const all = (await single('books', { size: 50 })).total as number;
    expect(scoped.body.results[1].total).toBeLessThan(all);
    const federated = await multi(
      { federation: {}, searches: [{ index: 'books', q: 'emma' }, { index: 'other' }] },
      scifiOnly,
    );
    expect(federated.body.hits.map((h: Hit) => h.id)).not.toContain('emma');
  });

  it('merges federated searches into one ranked list: scores over each best score, times the weight', async () => {
    const searches = [
      { index: 'books', q: 'desert planet' },
      { index: 'other', q: 'dune', weight: 1.5 },
      { index: 'books', q: 'empire', weight: 0.5 },
    ];
    const res = await multi({ federation: { limit: 20 }, searches });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const hits = res.body.hits as (Hit & {
      search: number;
      search_score: number;
      document: { id: string };
    })[];
    // Every hit is labelled with its index and its search, and carries the score the formula gives.
    const plain = await Promise.all(
      searches.map(({ index, weight: _w, ...p }) => single(index, { ...p, size: 20 })),
    );
    const expected: { key: string; score: number }[] = [];
    plain.forEach((answer, i) => {
      const list = answer.hits as Hit[];
      const top = Math.max(...list.map((h) => h.score!));
      for (const h of list)
        expected.push({
          key: `${searches[i]!.index}/${h.id}`,
          score: (searches[i]!.weight ?? 1) * (h.score! / top),
        });
    });
    const best = new Map<string, number>();
    for (const e of expected) best.set(e.key, Math.max(best.get(e.key) ?? 0, e.score));
    expect(hits.map((h) => `${h.index}/${h.id}`).sort()).toEqual([...best.keys()].sort());
    for (const h of hits) {
      expect(h.score).toBeCloseTo(best.get(`${h.index}/${h.id}`)!, 9);
      expect(h.document.id).toBe(h.id);
      expect(searches[h.search]!.index).toBe(h.index);
    }
    const scores = hits.map((h) => h.score!);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // The weighted index's best hit leads; the down-weighted search's best is worth 0.5.
    expect(hits[0]).toMatchObject({ index: 'other', score: 1.5 });
    expect(res.body.total).toBe(plain.reduce((n, a) => n + (a.total as number), 0));
    expect(res.body.searches.map((x: { index: string; status: number }) => [x.index, x.status])).toEqual([
      ['books', 200],
      ['other', 200],
      ['books', 200],
    ]);
    expect(res.body.searches[0].hits).toBeUndefined();
    expect(res.body.partial).toBe(false);

    // Paging the merged list.
    const page = await multi({ federation: { limit: 2, offset: 1 }, searches });
    expect(page.body.hits.map((h: Hit) => `${h.index}/${h.id}`)).toEqual(
      hits.slice(1, 3).map((h) => `${h.index}/${h.id}`),
    );
    expect([page.body.limit, page.body.offset]).toEqual([2, 1]);
  });

  it('refuses per search what a federated search cannot honour, and marks the answer partial', async () => {
    const res = await multi({
      federation: { limit: 5 },
      searches: [
        { index: 'books', q: 'dune' },
        { index: 'books', q: 'dune', size: 3 },
        { index: 'books', q: 'dune', sort: 'pages' },
        { index: 'missing', q: 'dune' },
      ],
    });
    expect(res.status).toBe(200);
    expect(
      res.body.searches.map((x: { status: number; error?: { code: string } }) => [x.status, x.error?.code]),
    ).toEqual([
      [200, undefined],
      [400, 'INVALID_REQUEST'],
      [400, 'INVALID_REQUEST'],
      [404, 'INDEX_NOT_FOUND'],
    ]);
    expect(res.body.partial).toBe(true);
    expect(res.body.hits.map((h: Hit) => h.id).sort()).toEqual(['dune', 'dune-messiah']);
  });
});
