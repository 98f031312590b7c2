import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { SiftError } from '../errors.js';
import type { AppState } from './state.js';
import { SearchService } from '../service/search-service.js';
import { DOCS, INDEX, json, makeTestApp, type TestApp } from '../../test/support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(async () => {
  await t?.close();
});

const get = (url: string) => t.app.inject({ method: 'GET', url });
const post = (url: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url, payload: payload as object });
const ids = (body: { hits: { id: string }[] }) => body.hits.map((h) => h.id);

describe('search', () => {
  it('GET and POST mean the same thing, and the default index answers /api/search', async () => {
    const viaGet = await get(
      `/api/indexes/${INDEX}/search?q=desert&filter=${encodeURIComponent('genre = "scifi"')}&sort=-pages&facets=author&fields=id,title&size=5`,
    );
    const viaPost = await post(`/api/indexes/${INDEX}/search`, {
      q: 'desert',
      filter: 'genre = "scifi"',
      sort: ['-pages'],
      facets: ['author'],
      fields: ['id', 'title'],
      size: 5,
    });
    const viaDefault = await get(
      `/api/search?q=desert&filter=${encodeURIComponent('genre = "scifi"')}&sort=-pages&facets=author&fields=id,title&size=5`,
    );
    const viaDefaultPost = await post('/api/search', {
      q: 'desert',
      filter: { term: { genre: 'scifi' } },
      sort: '-pages',
      facets: 'author',
      fields: 'id,title',
      size: 5,
    });
    for (const res of [viaGet, viaPost, viaDefault, viaDefaultPost]) expect(res.statusCode).toBe(200);
    const a = json(viaGet);
    expect(ids(a)).toEqual(['dune', 'dune-messiah']);
    expect(a.total).toBe(2);
    expect(a.total_relation).toBe('eq');
    expect(a.partial).toBe(false);
    expect(typeof a.took_ms).toBe('number');
    expect(a.hits[0].document).toEqual({ id: 'dune', title: 'Dune' });
    expect(a.facets.author.buckets).toEqual([{ value: 'Herbert', count: 2 }]);
    for (const other of [viaPost, viaDefault, viaDefaultPost]) {
      const b = json(other);
      expect(ids(b)).toEqual(ids(a));
      expect(b.facets).toEqual(a.facets);
      expect(b.hits.map((h: { document: unknown }) => h.document)).toEqual(
        a.hits.map((h: { document: unknown }) => h.document),
      );
    }
  });

  it('POST without a body matches everything', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/search' });
    expect(res.statusCode).toBe(200);
    expect(json(res).total).toBe(DOCS.length);
  });

  it('filters: expression and tree, ranges, IN, NOT, booleans, dates', async () => {
    const cases: [string, unknown, string[]][] = [
      ['pages >= 400', { range: { pages: { gte: 400 } } }, ['dune', 'emma', 'hyperion']],
      [
        'author IN ["Austen", "Gibson"]',
        { terms: { author: ['Austen', 'Gibson'] } },
        ['emma', 'neuromancer', 'persuasion'],
      ],
      [
        'genre = "scifi" AND NOT in_print = true',
        { and: [{ term: { genre: 'scifi' } }, { not: { term: { in_print: true } } }] },
        ['dispossessed', 'i-robot'],
      ],
      ['published < "1900-01-01"', { range: { published: { lt: '1900-01-01' } } }, ['emma', 'persuasion']],
    ];
    for (const [expr, tree, expected] of cases) {
      const g = await get(`/api/indexes/${INDEX}/search?sort=id&filter=${encodeURIComponent(expr)}`);
      const p = await post(`/api/indexes/${INDEX}/search`, { sort: 'id', filter: tree });
      expect(g.statusCode, expr).toBe(200);
      expect(p.statusCode, expr).toBe(200);
      expect(ids(json(g)), expr).toEqual(expected);
      expect(ids(json(p)), expr).toEqual(expected);
    }
  });

  it('facets: terms counts, disjunctive on their own filter, ranges and stats in POST', async () => {
    const res = await get(
      `/api/search?size=0&facets=genre,author&filter=${encodeURIComponent('genre = "classic"')}`,
    );
    const body = json(res);
    expect(body.total).toBe(2);
    // genre's counts ignore the genre filter; author's do not.
    expect(body.facets.genre.buckets).toEqual([
      { value: 'scifi', count: 7 },
      { value: 'fantasy', count: 3 },
      { value: 'classic', count: 2 },
    ]);
    expect(body.facets.author.buckets).toEqual([{ value: 'Austen', count: 2 }]);

    const ranged = json(
      await post('/api/search', {
        size: 0,
        facets: [
          {
            field: 'pages',
            ranges: [
              { key: 'short', to: 260 },
              { key: 'long', from: 260 },
            ],
            stats: true,
          },
        ],
      }),
    );
    expect(ranged.facets.pages.ranges).toEqual([
      { key: 'short', to: 260, count: 5 },
      { key: 'long', from: 260, count: 7 },
    ]);
    expect(ranged.facets.pages.stats).toMatchObject({ min: 183, max: 482, count: 12 });
    const asMap = json(
      await post('/api/search', {
        size: 0,
        facets: {
          pages: {
            ranges: [
              { key: 'short', to: 260 },
              { key: 'long', from: 260 },
            ],
          },
        },
      }),
    );
    expect(asMap.facets.pages.ranges).toEqual(ranged.facets.pages.ranges);
  });

  it('sort by fields, several, descending, ties broken by id', async () => {
    const body = json(await get('/api/search?sort=author,-rating&fields=id&size=20'));
    expect(ids(body)).toEqual([
      'foundation',
      'i-robot',
      'persuasion',
      'emma',
      'neuromancer',
      'dune',
      'dune-messiah',
      'dispossessed',
      'earthsea',
      'hyperion',
      'hobbit',
      'silmarillion',
    ]);
    expect(body.hits[0].score).toBeNull();
  });

  it('cursor paging visits every hit once, for a field sort and for relevance', async () => {
    for (const query of ['sort=-pages&size=5', 'q=the&size=2', 'size=1']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      let total = 0;
      do {
        const url: string = `/api/search?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await get(url);
        expect(res.statusCode, url).toBe(200);
        const body = json(res);
        total = body.total;
        seen.push(...ids(body));
        cursor = body.next_cursor;
        expect(++pages).toBeLessThan(50);
      } while (cursor);
      expect(new Set(seen).size, query).toBe(seen.length);
      expect(seen.length, query).toBe(total);
    }
    // The same through POST, cursor included in the body.
    const first = json(await post('/api/search', { sort: ['-pages'], size: 7 }));
    const second = json(await post('/api/search', { sort: ['-pages'], size: 7, cursor: first.next_cursor }));
    expect([...ids(first), ...ids(second)].sort()).toEqual(DOCS.map((d) => d.id).sort());
    expect(second.next_cursor).toBeNull();
  });

  it('page and size page through results', async () => {
    const p1 = json(await get('/api/search?sort=id&size=5&page=1'));
    const p3 = json(await get('/api/search?sort=id&size=5&page=3'));
    expect(ids(p1)).toEqual(
      DOCS.map((d) => d.id)
        .sort()
        .slice(0, 5),
    );
    expect(ids(p3)).toEqual(
      DOCS.map((d) => d.id)
        .sort()
        .slice(10),
    );
  });

  it('highlight: default tags, chosen fields and custom tags', async () => {
    const dflt = json(await get('/api/search?q=dragon'));
    expect(ids(dflt)).toEqual(['hobbit']);
    expect(dflt.hits[0].highlights.summary[0]).toContain('<mark>dragon</mark>');
    const custom = json(
      await get('/api/search?q=dragon&highlight=summary&highlight_pre_tag=%5B&highlight_post_tag=%5D'),
    );
    expect(custom.hits[0].highlights.summary[0]).toContain('[dragon]');
    const viaPost = json(
      await post('/api/search', {
        q: 'dragon',
        highlight: { fields: ['summary'], pre_tag: '<b>', post_tag: '</b>' },
      }),
    );
    expect(viaPost.hits[0].highlights.summary[0]).toContain('<b>dragon</b>');
  });

  it('fields selects the returned document fields', async () => {
    const body = json(await get('/api/search?q=hobbit&fields=title,pages'));
    expect(body.hits[0].document).toEqual({ title: 'The Hobbit', pages: 310 });
  });
});

describe('suggest', () => {
  it('completes a prefix on an index and on the default index', async () => {
    const res = await get(`/api/indexes/${INDEX}/suggest?q=dun&size=5`);
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(body.suggestions.map((s: { id: string }) => s.id).sort()).toEqual(['dune', 'dune-messiah']);
    expect(body.suggestions[0]).toHaveProperty('text');
    expect(json(await get('/api/suggest?q=dun')).suggestions.length).toBe(2);
    expect(json(await get('/api/suggest?q=')).suggestions).toEqual([]);
  });
});

describe('indexes', () => {
  it('create (201), update (200), get, list, drop (204), then 404', async () => {
    const schema = { fields: { id: { type: 'keyword' }, name: { type: 'text' } } };
    const created = await t.app.inject({ method: 'PUT', url: '/api/indexes/scratch', payload: schema });
    expect(created.statusCode).toBe(201);
    expect(json(created)).toMatchObject({ name: 'scratch', documents: 0, schema: { id_field: 'id' } });
    const updated = await t.app.inject({
      method: 'PUT',
      url: '/api/indexes/scratch',
      payload: { fields: { ...schema.fields, tag: { type: 'keyword', facet: true } } },
    });
    expect(updated.statusCode).toBe(200);
    expect(json(updated).schema.fields.tag.facet).toBe(true);
    const mismatch = await t.app.inject({
      method: 'PUT',
      url: '/api/indexes/scratch',
      payload: { fields: { id: { type: 'keyword' }, name: { type: 'keyword', searchable: true } } },
    });
    expect(mismatch.statusCode).toBe(422);
    expect(json(mismatch).error.code).toBe('SCHEMA_MISMATCH');

    const info = json(await get('/api/indexes/scratch'));
    expect(info).toMatchObject({ name: 'scratch', documents: 0 });
    expect(typeof info.created_at).toBe('string');
    const list = json(await get('/api/indexes'));
    expect(list.indexes.map((i: { name: string }) => i.name).sort()).toEqual([INDEX, 'scratch']);
    expect(list.indexes.find((i: { name: string }) => i.name === INDEX).documents).toBe(DOCS.length);

    const dropped = await t.app.inject({ method: 'DELETE', url: '/api/indexes/scratch' });
    expect(dropped.statusCode).toBe(204);
    expect(dropped.body).toBe('');
    const gone = await get('/api/indexes/scratch');
    expect(gone.statusCode).toBe(404);
    expect(json(gone).error.code).toBe('INDEX_NOT_FOUND');
    expect((await t.app.inject({ method: 'DELETE', url: '/api/indexes/scratch' })).statusCode).toBe(404);
  });

  it('refuses an invalid schema with INVALID_SCHEMA', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/indexes/bad-schema',
      payload: { fields: { title: { type: 'txt' } } },
    });
    expect(res.statusCode).toBe(400);
    expect(json(res).error.code).toBe('INVALID_SCHEMA');
  });
});

describe('search_fields', () => {
  it('searches the named fields with their weights, over GET and POST, and refuses others with a 400', async () => {
    // "herbert" is an author, in no title or summary.
    expect(ids(json(await get(`/api/indexes/${INDEX}/search?q=herbert&sort=id`)))).toEqual([
      'dune',
      'dune-messiah',
    ]);
    expect(
      json(await get(`/api/indexes/${INDEX}/search?q=herbert&search_fields=title^2,summary`)).total,
    ).toBe(0);
    for (const search_fields of ['author^2', ['author'], { author: 2 }]) {
      const res = json(
        await post(`/api/indexes/${INDEX}/search`, { q: 'herbert', sort: 'id', search_fields }),
      );
      expect(ids(res)).toEqual(['dune', 'dune-messiah']);
    }
    for (const [query, code, field] of [
      ['search_fields=pages', 'INVALID_FIELD', 'pages'],
      ['search_fields=nope', 'INVALID_FIELD', 'nope'],
      ['search_fields=title^0', 'INVALID_REQUEST', 'search_fields'],
    ]) {
      const bad = await get(`/api/indexes/${INDEX}/search?q=dune&${query}`);
      expect([bad.statusCode, json(bad).error.code]).toEqual([400, code]);
      expect(json(bad).error.message).toContain(field);
    }
    const badPost = await post(`/api/indexes/${INDEX}/search`, { q: 'dune', search_fields: { title: -1 } });
    expect([badPost.statusCode, json(badPost).error.code]).toEqual([400, 'INVALID_REQUEST']);
  });
});

describe('distinct', () => {
  it('groups by a keyword field over GET and POST, and refuses a field it cannot group by with a 400', async () => {
    // The longest book of each genre, genres ordered by it.
    const best = new Map<string, { id: string; pages: number }>();
    for (const d of [...DOCS].sort((a, b) => b.pages - a.pages || (a.id < b.id ? -1 : 1)))
      if (!best.has(d.genre)) best.set(d.genre, d);
    const expected = [...best.values()].map((d) => d.id);
    const viaGet = json(await get(`/api/indexes/${INDEX}/search?distinct=genre&sort=-pages&size=50`));
    expect(ids(viaGet)).toEqual(expected);
    expect([viaGet.total, viaGet.next_cursor]).toEqual([best.size, null]);
    const viaPost = json(
      await post(`/api/indexes/${INDEX}/search`, {
        distinct: 'genre',
        distinct_limit: 2,
        sort: '-pages',
        size: 1,
      }),
    );
    const first = DOCS.filter((d) => d.genre === DOCS.find((x) => x.id === expected[0])!.genre)
      .sort((a, b) => b.pages - a.pages)
      .slice(0, 2)
      .map((d) => d.id);
    expect(ids(viaPost)).toEqual(first);
    for (const [query, code] of [
      ['distinct=title', 'INVALID_FIELD'],
      ['distinct=pages', 'INVALID_FIELD'],
      ['distinct=nope', 'INVALID_FIELD'],
      ['distinct=genre&distinct_limit=0', 'INVALID_REQUEST'],
    ]) {
      const bad = await get(`/api/indexes/${INDEX}/search?${query}`);
      expect([bad.statusCode, json(bad).error.code], query).toEqual([400, code]);
    }
  });
});

describe('relevance settings', () => {
  const url = `/api/indexes/${INDEX}/settings`;
  const put = (payload: unknown) => t.app.inject({ method: 'PUT', url, payload: payload as object });

  it('corrects typos unless the request turns them off, and offers a correction when nothing matched', async () => {
    expect(ids(json(await get(`/api/indexes/${INDEX}/search?q=desrt`)))).toEqual(['dune', 'dune-messiah']);
    const off = json(await get(`/api/indexes/${INDEX}/search?q=desrt&typo=false`));
    expect([off.total, off.did_you_mean]).toEqual([0, 'desert']);
    const viaPost = json(await post(`/api/indexes/${INDEX}/search`, { q: 'desrt', typo: false }));
    expect(viaPost.did_you_mean).toBe('desert');
    const bad = await get(`/api/indexes/${INDEX}/search?q=desrt&typo=maybe`);
    expect([bad.statusCode, json(bad).error.code]).toEqual([400, 'INVALID_REQUEST']);
  });

  it('reads the defaults, replaces the settings and applies them to the next search', async () => {
    expect(json(await get(url))).toEqual({
      typo_tolerance: { enabled: true, min_word_size: { one_typo: 5, two_typos: 9 }, disable_on_fields: [] },
      stop_words: { lists: [], words: [] },
      synonyms: [],
    });
    const the = () => get(`/api/indexes/${INDEX}/search?q=the+desert+planet`);
    expect(json(await the()).total).toBe(1);
    try {
      const res = await put({ stop_words: { lists: ['english'] }, typo_tolerance: { enabled: false } });
      expect(res.statusCode).toBe(200);
      expect(json(res).stop_words).toEqual({ lists: ['english'], words: [] });
      expect(json(await get(url)).typo_tolerance.enabled).toBe(false);
      expect(json(await the()).total).toBe(2);
      expect(json(await get(`/api/indexes/${INDEX}/search?q=desrt`)).total).toBe(0);
      // The settings are part of the schema.
      expect(json(await get(`/api/indexes/${INDEX}`)).schema.stop_words).toEqual({
        lists: ['english'],
        words: [],
      });
    } finally {
      expect((await put({})).statusCode).toBe(200);
    }
    expect(json(await the()).total).toBe(1);
  });

  it('refuses malformed settings with INVALID_SETTINGS, in the settings and in a schema', async () => {
    for (const payload of [
      { typo_tolerance: { enabled: 'yes' } },
      { typo_tolerance: { min_word_size: { one_typo: 0 } } },
      { typo_tolerance: { min_word_size: { one_typo: 7, two_typos: 6 } } },
      { typo_tolerance: { disable_on_fields: ['pages'] } },
      { stop_words: { lists: ['klingon'] } },
      { stop_words: { words: ['tab\tbed'] } },
      { stop_words: ['the'] },
      { synonyms: {} },
      { synonyms: [{ words: ['only-one'] }] },
      { synonyms: [{ from: 'a', to: [] }] },
      { synonyms: [{ from: 'x', to: ['line\nbreak'] }] },
      { other: 1 },
    ]) {
      const res = await put(payload);
      expect([res.statusCode, json(res).error.code], JSON.stringify(payload)).toEqual([
        400,
        'INVALID_SETTINGS',
      ]);
    }
    const schema = await t.app.inject({
      method: 'PUT',
      url: '/api/indexes/bad-settings',
      payload: {
        fields: { id: { type: 'keyword' }, title: { type: 'text' } },
        stop_words: { lists: 'english' },
      },
    });
    expect([schema.statusCode, json(schema).error.code]).toEqual([400, 'INVALID_SETTINGS']);
    expect((await get('/api/indexes/no-such-index/settings')).statusCode).toBe(404);
  });
});

describe('documents', () => {
  const url = `/api/indexes/${INDEX}/documents/ubik`;
  const doc = {
    title: 'Ubik',
    summary: 'Half-life and a spray can.',
    author: 'Dick',
    genre: 'scifi',
    pages: 202,
  };

  it('PUT creates (201) then updates (200); GET returns it; DELETE removes it; then 404', async () => {
    const created = await t.app.inject({ method: 'PUT', url, payload: doc });
    expect(created.statusCode).toBe(201);
    expect(json(created)).toEqual({ id: 'ubik', result: 'created' });
    const updated = await t.app.inject({ method: 'PUT', url, payload: { ...doc, pages: 224 } });
    expect(updated.statusCode).toBe(200);
    expect(json(updated)).toEqual({ id: 'ubik', result: 'updated' });

    const got = await get(url);
    expect(got.statusCode).toBe(200);
    expect(json(got)).toEqual({ id: 'ubik', document: { id: 'ubik', ...doc, pages: 224 } });
    expect(ids(json(await get('/api/search?q=ubik')))).toEqual(['ubik']);

    const removed = await t.app.inject({ method: 'DELETE', url });
    expect(removed.statusCode).toBe(204);
    for (const res of [await get(url), await t.app.inject({ method: 'DELETE', url })]) {
      expect(res.statusCode).toBe(404);
      expect(json(res).error.code).toBe('DOCUMENT_NOT_FOUND');
    }
    expect(json(await get('/api/search?q=ubik')).total).toBe(0);
  });

  it('refuses a document that does not match the schema', async () => {
    const res = await t.app.inject({ method: 'PUT', url, payload: { ...doc, pages: 'many' } });
    expect(res.statusCode).toBe(400);
    expect(json(res).error).toMatchObject({ code: 'INVALID_DOCUMENT', details: { field: 'pages' } });
  });

  it('batch as a JSON array: good items stored, bad ones reported by position', async () => {
    const res = await post(`/api/indexes/${INDEX}/documents`, [
      { id: 'b1', title: 'Batch one' },
      { id: 'b2', title: 'Batch two', pages: 'x' },
      { title: 'No id' },
      { id: 'b3', title: 'Batch three', unknown_field: 1 },
      { id: 'b4', title: 'Batch four' },
      { id: 'dune', title: 'Dune', summary: 'Replaced.', author: 'Herbert', genre: 'scifi', pages: 412 },
      42,
    ]);
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(body.indexed).toBe(3);
    expect(body.failed).toBe(4);
    expect(body.items.map((i: { index: number; status: number }) => [i.index, i.status])).toEqual([
      [0, 201],
      [1, 400],
      [2, 400],
      [3, 400],
      [4, 201],
      [5, 200],
      [6, 400],
    ]);
    expect(body.items[1]).toMatchObject({ id: 'b2', error: { code: 'INVALID_DOCUMENT' } });
    expect(body.items[5]).toMatchObject({ id: 'dune', result: 'updated' });
    expect((await get(`/api/indexes/${INDEX}/documents/b1`)).statusCode).toBe(200);
    expect((await get(`/api/indexes/${INDEX}/documents/b4`)).statusCode).toBe(200);
    expect((await get(`/api/indexes/${INDEX}/documents/b2`)).statusCode).toBe(404);
  });

  it('batch as NDJSON: a bad line is reported as its item with INVALID_JSON and the line number', async () => {
    const ndjson = [
      '{"id":"n1","title":"Line one"}',
      '{"id":"n2","title":',
      '',
      '{"id":"n3","title":"Line three"}',
      '{"__proto__":{"x":1},"id":"n4"}',
      '',
    ].join('\n');
    for (const type of ['application/x-ndjson', 'application/ndjson; charset=utf-8']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/indexes/${INDEX}/documents`,
        headers: { 'content-type': type },
        payload: ndjson,
      });
      expect(res.statusCode).toBe(200);
      const body = json(res);
      expect(body.indexed).toBe(2);
      expect(body.failed).toBe(2);
      expect(body.items[0]).toMatchObject({ index: 0, id: 'n1', status: expect.any(Number) });
      expect(body.items[1]).toMatchObject({
        index: 1,
        status: 400,
        error: { code: 'INVALID_JSON', details: { line: 2 } },
      });
      expect(body.items[1].error.message).toMatch(/^line 2/);
      expect(body.items[2]).toMatchObject({ index: 2, id: 'n3' });
      expect(body.items[3]).toMatchObject({
        index: 3,
        status: 400,
        error: { code: 'INVALID_JSON', details: { line: 5 } },
      });
      expect(body.items[3].error.message).toContain('__proto__');
    }
    expect(json(await get(`/api/indexes/${INDEX}/documents/n3`)).document.title).toBe('Line three');
  });
});

describe('health', () => {
  it('live, ready and the summary', async () => {
    expect(json(await get('/health/live'))).toEqual({ status: 'ok' });
    const ready = await get('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(json(ready)).toMatchObject({
      status: 'ok',
      checks: { engine: { ok: true }, default_index: { ok: true }, accepting: { ok: true } },
    });
    const summary = json(await get('/health'));
    expect(summary).toMatchObject({
      status: 'ok',
      engine: { name: 'embedded', ok: true },
      version: t.config.VERSION,
      environment: 'development',
    });
    expect(summary.uptime_s).toBeGreaterThanOrEqual(0);
    expect(summary.indexes.map((i: { name: string }) => i.name)).toContain(INDEX);
  });

  it('readiness is 503 with Retry-After when the default index is missing', async () => {
    const other = await makeTestApp({}, { empty: true });
    try {
      const res = await other.app.inject({ url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(json(res)).toMatchObject({
        status: 'unavailable',
        checks: { default_index: { ok: false }, engine: { ok: true } },
      });
    } finally {
      await other.close();
    }
  });
});

describe('request ids', () => {
  it('echoes a sane incoming x-request-id and replaces an insane one', async () => {
    const kept = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': 'abc.DEF_123-x' } });
    expect(kept.headers['x-request-id']).toBe('abc.DEF_123-x');
    const replaced = await t.app.inject({
      url: '/health/live',
      headers: { 'x-request-id': 'bad id<script>' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await t.app.inject({ url: '/nope', headers: { 'x-request-id': 'a'.repeat(129) } });
    expect(tooLong.statusCode).toBe(404);
    expect(tooLong.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('OpenAPI', () => {
  it('/openapi.json is an OpenAPI 3 document listing the routes', async () => {
    const res = await get('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = json(res);
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toBe('Sift');
    const expected: [string, string[]][] = [
      ['/api/indexes/{index}/search', ['get', 'post']],
      ['/api/search', ['get', 'post']],
      ['/api/indexes/{index}/suggest', ['get']],
      ['/api/suggest', ['get']],
      ['/api/indexes', ['get']],
      ['/api/indexes/{index}', ['put', 'get', 'delete']],
      ['/api/indexes/{index}/documents/{id}', ['put', 'get', 'delete']],
      ['/api/indexes/{index}/documents', ['post']],
      ['/health/live', ['get']],
      ['/health/ready', ['get']],
      ['/health', ['get']],
    ];
    for (const [path, methods] of expected) {
      expect(doc.paths[path], path).toBeDefined();
      for (const m of methods) expect(doc.paths[path][m], `${m} ${path}`).toBeDefined();
    }
    expect(doc.paths['/docs']).toBeUndefined();
    const params = doc.paths['/api/search'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(
      expect.arrayContaining([
        'q',
        'filter',
        'facets',
        'sort',
        'size',
        'page',
        'cursor',
        'highlight',
        'fields',
      ]),
    );
    expect(doc.paths['/api/indexes/{index}/documents'].post.requestBody.content).toHaveProperty([
      'application/x-ndjson',
    ]);
    expect(Object.keys(doc.paths['/api/search'].get.responses)).toEqual(expect.arrayContaining(['200']));
  });

  it('/docs serves the interactive HTML page', async () => {
    const res = await get('/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/<html/i);
  });
});

describe('shutting down and failures', () => {
  it('while shutting down: readiness 503, API 503 SHUTTING_DOWN with Retry-After, liveness still 200', async () => {
    const state: AppState = { shuttingDown: false, startedAt: Date.now() };
    const app = await buildApp({ config: t.config, service: t.service, state, logger: false });
    try {
      expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
      state.shuttingDown = true;
      const ready = await app.inject({ url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['retry-after']).toBeDefined();
      expect(json(ready)).toMatchObject({ status: 'unavailable', checks: { accepting: { ok: false } } });
      const res = await app.inject({ url: '/api/search?q=dune' });
      expect(res.statusCode).toBe(503);
      expect(json(res).error.code).toBe('SHUTTING_DOWN');
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.headers.connection).toBe('close');
      expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('an unexpected error is a 500 INTERNAL carrying the request id; an engine outage is a 503 and a slow engine a 504, both with Retry-After', async () => {
    const broken = new SearchService(t.engine);
    broken.search = async () => {
      throw new TypeError('boom');
    };
    broken.suggest = async () => {
      throw new SiftError('ENGINE_UNAVAILABLE', 'the engine is down');
    };
    const app = await buildApp({ config: t.config, service: broken, logger: false });
    try {
      const res = await app.inject({ url: '/api/search?q=x', headers: { 'x-request-id': 'req-500' } });
      expect(res.statusCode).toBe(500);
      expect(json(res)).toEqual({
        error: {
          code: 'INTERNAL',
          message: expect.stringContaining('req-500'),
          details: { request_id: 'req-500' },
        },
      });
      expect(res.body).not.toContain('boom');
      // An engine's INTERNAL error keeps its cause's words for the log, never for the client.
      broken.search = async () => {
        throw new SiftError('INTERNAL', 'opensearch search failed with 400: secret reason', undefined, {
          cause: new Error('secret reason'),
        });
      };
      const internal = await app.inject({ url: '/api/search?q=y', headers: { 'x-request-id': 'req-501' } });
      expect(internal.statusCode).toBe(500);
      expect(json(internal).error).toEqual({
        code: 'INTERNAL',
        message: expect.stringContaining('req-501'),
        details: { request_id: 'req-501' },
      });
      expect(internal.body).not.toContain('secret');
      const down = await app.inject({ url: '/api/suggest?q=x' });
      expect(down.statusCode).toBe(503);
      expect(json(down).error.code).toBe('ENGINE_UNAVAILABLE');
      expect(down.headers['retry-after']).toBeDefined();
      // A slow engine is a gateway timeout: Sift is up, and a proxy must not count it as a dead server.
      broken.suggest = async () => {
        throw new SiftError('ENGINE_TIMEOUT', 'the engine did not answer', { retry_after: 2 });
      };
      const slow = await app.inject({ url: '/api/suggest?q=y' });
      expect(slow.statusCode).toBe(504);
      expect(json(slow).error.code).toBe('ENGINE_TIMEOUT');
      expect(slow.headers['retry-after']).toBe('2');
    } finally {
      await app.close();
    }
  });
});
