/**
 * Curation rules (pinned and hidden results) keep the same behaviour on every engine: they are applied above the
 * engine, so these cases check that each engine's id filters, counts and paging compose into the same list. The
 * expected lists are derived from the same engine's uncurated answer, so they hold whatever its ranking.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { EngineDriver } from './driver.js';

type Check = (title: string, fn: () => Promise<void>) => void;

const SCHEMA = {
  id_field: 'name',
  fields: {
    name: { type: 'keyword', searchable: true },
    summary: { type: 'text', searchable: true },
    scope: { type: 'keyword', filterable: true, facet: true },
    downloads: { type: 'integer', sortable: true },
  },
  ranking: { popularity: { field: 'downloads', weight: 1 } },
};

// Eleven packages about web servers, and one about something else that a rule pins anyway.
const DOCS: Record<string, unknown>[] = [
  ...Array.from({ length: 11 }, (_, i) => ({
    name: `web-${String(i).padStart(2, '0')}`,
    summary: `web server number ${i}`,
    scope: i % 2 ? 'odd' : 'even',
    downloads: 1000 - i * 10,
  })),
  { name: 'sponsor', summary: 'a database driver', scope: 'odd', downloads: 1 },
];

const RULES = [
  {
    query: 'Web  server',
    pin: [
      { id: 'sponsor', position: 1 },
      { id: 'web-09', position: 3 },
      { id: 'no-such-package', position: 4 },
    ],
    hide: ['web-00', 'web-05'],
  },
  { query: 'number', match: 'contains', pin: [{ id: 'web-10', position: 2 }] },
  { query: 'web', filter: 'scope = "even"', hide: ['web-02'] },
];

export function curationCases(check: Check, svc: () => EngineDriver): void {
  const idx = 'conformance-curation';
  const search = (input: Parameters<EngineDriver['search']>[1]) => svc().search(idx, input);
  const ids = async (input: Parameters<EngineDriver['search']>[1]) =>
    (await search(input)).hits.map((h) => h.id);
  /** The uncurated ranking of a query, taken before the rules are in place. */
  const plain = new Map<string, string[]>();

  beforeAll(async () => {
    await svc().engine.dropIndex(idx);
    await svc().putIndex(idx, SCHEMA);
    expect((await svc().importDocuments(idx, DOCS)).failed).toBe(0);
    for (const q of ['web server', 'web', 'web server number'])
      plain.set(q, await ids({ q, size: 50, track_total: true }));
    await svc().putCurations(idx, RULES);
  });
  afterAll(async () => {
    await svc().engine.dropIndex(idx);
  });

  check('pins documents at their positions and hides others, counting neither twice', async () => {
    const ranking = plain.get('web server')!.filter((id) => !['web-00', 'web-05', 'web-09'].includes(id));
    const expected = ['sponsor', ranking[0], 'web-09', ...ranking.slice(1)];
    const res = await search({ q: '  WEB server', size: 50, track_total: true });
    expect(res.hits.map((h) => h.id)).toEqual(expected);
    // Eleven matches, two hidden; the pinned sponsor does not match the words but is shown and counted.
    expect(res.total).toBe(10);
    expect(res.hits[0]!.score).toBeNull();
    expect(res.hits[0]!.document).toMatchObject({ name: 'sponsor', scope: 'odd' });
  });

  check('pages and cursors through a curated list without a duplicate or a gap', async () => {
    const all = await ids({ q: 'web server', size: 50 });
    for (const size of [1, 2, 3, 4]) {
      const paged: string[] = [];
      for (let page = 1; page <= 12; page++) paged.push(...(await ids({ q: 'web server', size, page })));
      expect(paged, `pages of ${size}`).toEqual(all);
      const cursored: string[] = [];
      let cursor: string | undefined;
      for (let n = 0; n < 12; n++) {
        const res = await search({ q: 'web server', size, ...(cursor ? { cursor } : {}) });
        cursored.push(...res.hits.map((h) => h.id));
        if (!res.next_cursor) break;
        cursor = res.next_cursor;
      }
      expect(cursored, `cursor pages of ${size}`).toEqual(all);
    }
  });

  check("never pins a document the request's filter leaves out", async () => {
    const res = await search({ q: 'web server', filter: 'scope = "even"', size: 50, track_total: true });
    const hitIds = res.hits.map((h) => h.id);
    // sponsor and web-09 are odd: not shown, not counted; web-00 stays hidden.
    expect(hitIds).not.toContain('sponsor');
    expect(hitIds).not.toContain('web-09');
    expect(hitIds).not.toContain('web-00');
    expect(hitIds.sort()).toEqual(['web-02', 'web-04', 'web-06', 'web-08', 'web-10']);
    expect(res.total).toBe(5);
  });

  check('applies contains rules to whole words and filter rules only under their filter', async () => {
    const longer = await ids({ q: 'web server number', size: 50 });
    expect(longer[1]).toBe('web-10');
    expect(longer).toHaveLength(plain.get('web server number')!.length);
    expect((await ids({ q: 'web', size: 50 })).sort()).toEqual([...plain.get('web')!].sort());
    const even = await ids({ q: 'web', filter: 'scope = "even"', size: 50 });
    expect(even).not.toContain('web-02');
    expect(even).toHaveLength(5);
    const evenAndMore = await ids({ q: 'web', filter: 'scope = "even" AND downloads > 0', size: 50 });
    expect(evenAndMore).toEqual(even);
  });

  check('applies a change of rules to the next search, and refuses malformed rules', async () => {
    try {
      await svc().putCurations(idx, [{ query: 'web server', hide: ['web-01'] }]);
      const res = await search({ q: 'web server', size: 50, track_total: true });
      expect(res.hits.map((h) => h.id)).toEqual(plain.get('web server')!.filter((id) => id !== 'web-01'));
      expect(res.total).toBe(10);
      await svc().putCurations(idx, []);
      expect(await ids({ q: 'web server', size: 50 })).toEqual(plain.get('web server'));
      await expect(
        svc().putCurations(idx, [{ query: 'web', pin: [{ id: 'x', position: 0 }] }]),
      ).rejects.toMatchObject({ code: 'INVALID_CURATION' });
      await expect(
        svc().putCurations(idx, [{ query: 'web', hide: ['x'], filter: 'no_such_field = 1' }]),
      ).rejects.toMatchObject({ code: 'INVALID_CURATION' });
    } finally {
      await svc().putCurations(idx, RULES);
    }
  });
}
