/**
 * Deletes and updates by filter, engine-neutral: everything goes through the EngineDriver, on an index of its
 * own so the cases can run beside the others. Each case builds the documents it changes.
 */
import { expect } from 'vitest';
import type { EngineDriver } from './driver.js';

type Check = (title: string, fn: () => Promise<void>, timeoutMs?: number) => void;

const SCHEMA = {
  id_field: 'id',
  fields: {
    id: { type: 'keyword', sortable: true },
    kind: { type: 'keyword', facet: true },
    n: { type: 'integer', sortable: true },
    note: { type: 'text', searchable: true },
    owner: { type: 'keyword', required: true },
  },
};

/** 30 documents: kind "a" x12, "b" x10, "c" x8, each with n = its number and a note. */
const DOCS = Array.from({ length: 30 }, (_, i) => ({
  id: `doc-${String(i).padStart(2, '0')}`,
  kind: i < 12 ? 'a' : i < 22 ? 'b' : 'c',
  n: i,
  note: `plain note ${i}`,
  owner: 'team',
}));

export function byFilterCases(check: Check, driver: () => EngineDriver, idx: string): void {
  const index = `${idx}-by-filter`;
  const fresh = async () => {
    const svc = driver();
    await svc.dropIndex(index).catch(() => undefined);
    await svc.putIndex(index, SCHEMA);
    expect((await svc.importDocuments(index, DOCS)).failed).toBe(0);
    return svc;
  };
  const ids = async (svc: EngineDriver, filter: string) =>
    (await svc.search(index, { filter, size: 100, sort: 'id' })).hits.map((h) => h.id);
  const generation = async (svc: EngineDriver) => (await svc.getIndex(index)).generation;

  check(
    'deletes what a filter matches, after a dry run that counts them and changes nothing',
    async () => {
      const svc = await fresh();
      try {
        const before = await generation(svc);
        expect(await svc.deleteByFilter(index, { filter: 'kind = "a"', dry_run: true })).toEqual({
          dry_run: true,
          matched: 12,
          limit: 1000,
          over_limit: false,
          deleted: 0,
        });
        expect(await generation(svc)).toBe(before);
        expect(await ids(svc, 'kind = "a"')).toHaveLength(12);

        expect(await svc.deleteByFilter(index, { filter: 'kind = "a" AND n >= 6', limit: 6 })).toEqual({
          dry_run: false,
          matched: 6,
          limit: 6,
          deleted: 6,
        });
        // Seen by the next search (the write is refreshed like any other) and by reads of one document.
        expect(await ids(svc, 'kind = "a"')).toEqual(DOCS.slice(0, 6).map((d) => d.id));
        await expect(svc.getDocument(index, 'doc-07')).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
        expect((await svc.getIndex(index)).documents).toBe(24);
        expect(await generation(svc)).toBeGreaterThan(before);
        // A filter tree does the same; a filter with no match deletes nothing.
        expect((await svc.deleteByFilter(index, { filter: { range: { n: { lt: 3 } } } })).deleted).toBe(3);
        expect(await svc.deleteByFilter(index, { filter: 'kind = "zzz"' })).toMatchObject({
          matched: 0,
          deleted: 0,
        });
        // Every document needs an explicit limit; with one it goes.
        await expect(svc.deleteByFilter(index, {})).rejects.toMatchObject({
          code: 'INVALID_REQUEST',
          details: { field: 'filter' },
        });
        await expect(svc.deleteByFilter(index, { filter: '' })).rejects.toMatchObject({
          code: 'INVALID_REQUEST',
        });
        expect((await svc.deleteByFilter(index, { limit: 21 })).deleted).toBe(21);
        expect((await svc.getIndex(index)).documents).toBe(0);
      } finally {
        await svc.dropIndex(index).catch(() => undefined);
      }
    },
    120_000,
  );

  check(
    'refuses a delete or update that matches more than its limit, changing nothing',
    async () => {
      const svc = await fresh();
      try {
        const before = await generation(svc);
        for (const run of [
          () => svc.deleteByFilter(index, { filter: 'kind = "b"', limit: 9 }),
          () => svc.updateByFilter(index, { filter: 'kind = "b"', limit: 9, set: { n: 0 } }),
          () => svc.deleteByFilter(index, { limit: 29 }),
        ])
          await expect(run()).rejects.toMatchObject({
            code: 'TOO_MANY_MATCHES',
            details: { matched: expect.any(Number), limit: expect.any(Number) },
          });
        await expect(svc.deleteByFilter(index, { filter: 'kind = "b"', limit: 9 })).rejects.toMatchObject({
          details: { matched: 10, limit: 9 },
        });
        expect(
          await svc.deleteByFilter(index, { filter: 'kind = "b"', limit: 9, dry_run: true }),
        ).toMatchObject({ matched: 10, limit: 9, over_limit: true, deleted: 0 });
        expect(await generation(svc)).toBe(before);
        expect(await ids(svc, 'kind = "b" AND n >= 12')).toHaveLength(10);
        expect((await svc.getIndex(index)).documents).toBe(30);
        // Bad limits, filters and indexes are refused before anything runs.
        for (const limit of [0, -1, 1.5, 10_001])
          await expect(svc.deleteByFilter(index, { filter: 'kind = "b"', limit })).rejects.toMatchObject({
            code: 'INVALID_REQUEST',
            details: { field: 'limit' },
          });
        await expect(svc.deleteByFilter(index, { filter: 'nosuch = 1' })).rejects.toMatchObject({
          code: 'INVALID_FILTER',
        });
        await expect(svc.deleteByFilter(`${index}-missing`, { filter: 'n = 1' })).rejects.toMatchObject({
          code: 'INDEX_NOT_FOUND',
        });
      } finally {
        await svc.dropIndex(index).catch(() => undefined);
      }
    },
    120_000,
  );

  check(
    'updates what a filter matches with merge patch semantics, checking set against the schema first',
    async () => {
      const svc = await fresh();
      try {
        const before = await generation(svc);
        for (const [set, field] of [
          [{ n: 'many' }, 'n'],
          [{ nosuch: 1 }, 'nosuch'],
          [{ nosuch: null }, 'nosuch'],
          [{ id: 'other' }, 'id'],
          [{ owner: null }, 'owner'],
        ] as const)
          await expect(svc.updateByFilter(index, { filter: 'kind = "c"', set })).rejects.toMatchObject({
            code: 'INVALID_DOCUMENT',
            details: { field },
          });
        for (const set of [undefined, {}, [], 'x'])
          await expect(svc.updateByFilter(index, { filter: 'kind = "c"', set })).rejects.toMatchObject({
            code: expect.stringMatching(/^INVALID_(REQUEST|PATCH)$/),
          });
        expect(await generation(svc)).toBe(before);

        expect(
          await svc.updateByFilter(index, { filter: 'kind = "c"', set: { n: 7 }, dry_run: true }),
        ).toMatchObject({ dry_run: true, matched: 8, updated: 0 });
        expect(await ids(svc, 'n = 7')).toEqual(['doc-07']);

        expect(
          await svc.updateByFilter(index, {
            filter: 'kind = "c"',
            set: { n: 7, note: 'an updated zircon note', kind: 'd' },
          }),
        ).toEqual({ dry_run: false, matched: 8, limit: 1000, updated: 8 });
        const changed = DOCS.slice(22).map((d) => d.id);
        // Filters, text search and single reads all see the new values; other fields are kept.
        expect(await ids(svc, 'n = 7 AND kind = "d"')).toEqual(changed);
        expect(await ids(svc, 'kind = "c"')).toEqual([]);
        expect((await svc.search(index, { q: 'zircon', size: 100 })).hits.map((h) => h.id).sort()).toEqual(
          changed,
        );
        expect((await svc.getDocument(index, 'doc-22')).document).toEqual({
          id: 'doc-22',
          kind: 'd',
          n: 7,
          note: 'an updated zircon note',
          owner: 'team',
        });
        // null removes a field that is not required.
        expect((await svc.updateByFilter(index, { filter: 'kind = "d"', set: { note: null } })).updated).toBe(
          8,
        );
        expect((await svc.getDocument(index, 'doc-29')).document).toEqual({
          id: 'doc-29',
          kind: 'd',
          n: 7,
          owner: 'team',
        });
        expect((await svc.search(index, { q: 'zircon' })).hits).toEqual([]);
        expect((await svc.getDocument(index, 'doc-00')).document).toEqual(DOCS[0]);
      } finally {
        await svc.dropIndex(index).catch(() => undefined);
      }
    },
    120_000,
  );

  check(
    'loses no concurrent patch of a matched document while an update by filter runs',
    async () => {
      const svc = await fresh();
      try {
        const kindB = DOCS.filter((d) => d.kind === 'b').map((d) => d.id);
        // Each round: the update sets n on every "b" while each "b" gets a patch of its note at the same time.
        // A write that replaced a document with a copy read before the other landed would lose one of the two.
        for (let round = 1; round <= 3; round++) {
          const [update] = await Promise.all([
            svc.updateByFilter(index, { filter: 'kind = "b"', set: { n: 100 + round } }),
            ...kindB.map((id) => svc.patchDocument(index, id, { note: `round ${round} ${id}` })),
          ]);
          expect(update).toMatchObject({ matched: 10, updated: 10 });
          for (const id of kindB)
            expect((await svc.getDocument(index, id)).document).toMatchObject({
              n: 100 + round,
              note: `round ${round} ${id}`,
            });
        }
      } finally {
        await svc.dropIndex(index).catch(() => undefined);
      }
    },
    120_000,
  );
}
