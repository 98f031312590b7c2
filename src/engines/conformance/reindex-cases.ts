/**
 * Reindex and rollback, engine-neutral: everything goes through the EngineDriver, so the cluster engines run
 * these unchanged. Each case uses its own index so it can run beside the read-only cases of the main suite.
 */
import { expect } from 'vitest';
import type { EngineDriver } from './driver.js';
import type { ReindexProgress } from '../engine.js';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from './fixtures.js';

/** Shared by every load, so ids and values never repeat across loads. */
let counter = 1_000_000;

type Check = (title: string, fn: () => Promise<void>, timeoutMs?: number) => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every document of an index as id -> downloads, paged with a cursor (works on every engine). */
export async function snapshot(
  svc: Pick<EngineDriver, 'search'>,
  index: string,
): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  let cursor: string | undefined;
  for (;;) {
    const res = await svc.search(index, { sort: 'name', size: 100, cursor, fields: 'name,downloads' });
    for (const h of res.hits) out.set(h.id, h.document.downloads);
    if (!res.next_cursor) return out;
    cursor = res.next_cursor;
  }
}

const bulkDoc = (i: number) => ({
  name: `bulk-${String(i).padStart(5, '0')}`,
  summary: `reindex load document number ${i}`,
  downloads: i,
});

/**
 * A steady write load: `writers` loops, each owning its own ids (so the order of acknowledgements per id is
 * known), creating, updating and deleting documents. `expected` holds what was acknowledged: id -> downloads,
 * or null once deleted. A write that failed is not acknowledged and its id's state becomes unknown, so the
 * loop stops with the error instead.
 */
function writeLoad(svc: EngineDriver, index: string, existing: string[], writers = 4) {
  const expected = new Map<string, number | null>();
  let running = true;
  let writes = 0;
  const loop = async (w: number) => {
    const mine = existing.filter((_, i) => i % writers === w);
    let k = 0;
    while (running) {
      const op = k % 3;
      const n = counter++;
      if (op === 0) {
        const id = `live-${w}-${k}-${n}`;
        await svc.putDocument(index, id, { name: id, summary: 'written during reindex', downloads: n });
        expected.set(id, n);
      } else if (op === 1 && mine.length) {
        const id = mine[(k * 7) % mine.length]!;
        if (expected.get(id) !== null) {
          await svc.putDocument(index, id, { name: id, summary: 'updated during reindex', downloads: n });
          expected.set(id, n);
        }
      } else if (mine.length) {
        const id = mine[(k * 13 + 5) % mine.length]!;
        if (expected.get(id) !== null) {
          await svc.deleteDocument(index, id);
          expected.set(id, null);
        }
      }
      writes++;
      k++;
      // An in-process engine answers without I/O; let timers and the reindex's own batches run in between.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  let failure: unknown = null;
  // A failed write ends the load at once; stop() reports it (so no rejection goes unhandled meanwhile).
  const loops = Array.from({ length: writers }, (_, w) =>
    loop(w).catch((err: unknown) => {
      failure ??= err;
      running = false;
    }),
  );
  return {
    expected,
    get writes() {
      return writes;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      if (failure) throw failure;
    },
  };
}

/** Every acknowledged write is there: created and updated ids with their last value, deleted ids absent. */
function expectAcknowledged(
  got: Map<string, unknown>,
  base: Map<string, unknown>,
  expected: Map<string, number | null>,
) {
  const want = new Map(base);
  for (const [id, v] of expected) {
    if (v === null) want.delete(id);
    else want.set(id, v);
  }
  const missing = [...want].filter(([id, v]) => got.get(id) !== v).map(([id]) => id);
  const extra = [...got.keys()].filter((id) => !want.has(id));
  expect({ missing: missing.slice(0, 10), extra: extra.slice(0, 10) }).toEqual({ missing: [], extra: [] });
  expect(got.size).toBe(want.size);
}

export function reindexCases(check: Check, service: () => EngineDriver): void {
  const svc = () => service();
  const fresh = async (index: string, docs: Record<string, unknown>[] = FIXTURE_DOCS) => {
    await svc().engine.dropIndex(index);
    await svc().putIndex(index, FIXTURE_SCHEMA);
    const res = await svc().importDocuments(index, docs);
    expect(res.failed).toBe(0);
  };
  const ids = async (index: string, input: Parameters<EngineDriver['search']>[1]) =>
    (await svc().search(index, input)).hits.map((h) => h.id);

  check('reindex keeps every document and every search result', async () => {
    const index = 'conformance-reindex-same';
    await fresh(index);
    const before = await svc().getIndex(index);
    expect(before.previous_version).toBeNull();
    const queries = [
      { q: 'react', size: 50 },
      { filter: 'scope = "@types" AND downloads >= 1000000', sort: 'name', size: 50 },
      { sort: '-license,name', size: 50 },
      { q: 'zebra' },
    ];
    const results = [];
    for (const q of queries) results.push(await ids(index, q));
    const facets = (await svc().search(index, { facets: 'scope,license', size: 0 })).facets;
    const progress: ReindexProgress[] = [];
    const res = await svc().reindex(index, undefined, (p) => progress.push(p));
    expect(res).toMatchObject({
      index,
      from_version: before.version,
      to_version: before.version + 1,
      documents: FIXTURE_DOCS.length,
    });
    expect(res.took_ms).toBeGreaterThanOrEqual(0);
    expect(progress.at(-1)).toEqual({ copied: FIXTURE_DOCS.length, total: FIXTURE_DOCS.length });
    const after = await svc().getIndex(index);
    expect(after).toMatchObject({
      version: before.version + 1,
      previous_version: before.version,
      documents: FIXTURE_DOCS.length,
    });
    expect(after.schema).toEqual(before.schema);
    for (const [i, q] of queries.entries()) expect(await ids(index, q)).toEqual(results[i]);
    expect((await svc().search(index, { facets: 'scope,license', size: 0 })).facets).toEqual(facets);
    expect((await svc().suggest(index, 'rea', 5)).suggestions[0]).toEqual({ text: 'react', id: 'react' });
    await svc().dropIndex(index);
  });

  check('reindex applies a changed schema, type changes included', async () => {
    const index = 'conformance-reindex-schema';
    await fresh(index);
    const changed = structuredClone(FIXTURE_SCHEMA) as unknown as {
      fields: Record<string, Record<string, unknown>>;
    };
    // A type change (keyword -> searchable text), a new field, a removed field.
    changed.fields.license = { type: 'text', searchable: true };
    changed.fields.homepage = { type: 'keyword', filterable: true };
    delete changed.fields.deprecated;
    const res = await svc().reindex(index, changed);
    expect(res.documents).toBe(FIXTURE_DOCS.length);
    const info = await svc().getIndex(index);
    expect(info.schema.fields.license!.type).toBe('text');
    expect(info.schema.fields.deprecated).toBeUndefined();
    expect(await ids(index, { q: 'isc', sort: 'name', size: 50 })).toEqual(['left-pad', 'semver']);
    await svc().putDocument(index, 'with-homepage', { name: 'with-homepage', homepage: 'https://x.test' });
    expect(await ids(index, { filter: 'homepage = "https://x.test"' })).toEqual(['with-homepage']);
    // The removed field is gone from the documents of the new version.
    expect((await svc().getDocument(index, 'request')).document.deprecated).toBeUndefined();
    await svc().dropIndex(index);
  });

  check('refuses a schema that a document does not fit, naming both, and switches nothing', async () => {
    const index = 'conformance-reindex-misfit';
    await fresh(index);
    const before = await svc().getIndex(index);
    const bad = structuredClone(FIXTURE_SCHEMA) as unknown as {
      fields: Record<string, Record<string, unknown>>;
    };
    bad.fields.license = { type: 'integer', filterable: true };
    const err = await svc()
      .reindex(index, bad)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ code: 'REINDEX_INCOMPATIBLE', details: { field: 'license' } });
    const id = (err as { details: { id: string } }).details.id;
    expect(FIXTURE_DOCS.some((d) => d.name === id && typeof d.license === 'string')).toBe(true);
    expect((err as Error).message).toContain(id);
    const after = await svc().getIndex(index);
    expect(after).toMatchObject({ version: before.version, previous_version: null });
    expect(after.schema).toEqual(before.schema);
    expect((await ids(index, { q: 'react' }))[0]).toBe('react');
    // The failed attempt leaves nothing behind that would block the next one.
    expect((await svc().reindex(index)).to_version).toBeGreaterThan(before.version);
    await svc().dropIndex(index);
  });

  check('rollback restores the previous version with the writes made since the switch', async () => {
    const index = 'conformance-reindex-rollback';
    await fresh(index);
    const v1 = await svc().getIndex(index);
    const extended = structuredClone(FIXTURE_SCHEMA) as unknown as {
      fields: Record<string, Record<string, unknown>>;
    };
    extended.fields.summary = { type: 'text', searchable: true, boost: 5 };
    extended.fields.stars = { type: 'integer', sortable: true };
    await svc().reindex(index, extended);
    await svc().putDocument(index, 'after-switch', { name: 'after-switch', summary: 'nebula', stars: 3 });
    await svc().putDocument(index, 'lodash', { name: 'lodash', summary: 'rewritten nebula', downloads: 7 });
    await svc().deleteDocument(index, 'request');
    const res = await svc().rollbackReindex(index);
    expect(res).toMatchObject({ from_version: v1.version + 1, to_version: v1.version });
    const back = await svc().getIndex(index);
    expect(back).toMatchObject({ version: v1.version, previous_version: v1.version + 1 });
    expect(back.schema).toEqual(v1.schema);
    expect(back.documents).toBe(FIXTURE_DOCS.length); // one added, one deleted
    expect(await ids(index, { q: 'nebula', sort: 'name' })).toEqual(['after-switch', 'lodash']);
    expect((await svc().getDocument(index, 'lodash')).document.downloads).toBe(7);
    // A field the restored schema does not declare is not carried back.
    expect((await svc().getDocument(index, 'after-switch')).document.stars).toBeUndefined();
    await expect(svc().getDocument(index, 'request')).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
    // Rolling back again returns to the reindexed version, with what was written in between.
    await svc().putDocument(index, 'after-rollback', { name: 'after-rollback', summary: 'nebula' });
    await svc().rollbackReindex(index);
    expect(await svc().getIndex(index)).toMatchObject({
      version: v1.version + 1,
      previous_version: v1.version,
    });
    expect(await ids(index, { q: 'nebula', sort: 'name' })).toEqual([
      'after-rollback',
      'after-switch',
      'lodash',
    ]);
    expect((await svc().getDocument(index, 'after-switch')).document.stars).toBe(3);
    await svc().dropIndex(index);
  });

  check('refuses a rollback without a previous version, and a reindex of a missing index', async () => {
    const index = 'conformance-reindex-none';
    await fresh(index, FIXTURE_DOCS.slice(0, 3));
    await expect(svc().rollbackReindex(index)).rejects.toMatchObject({ code: 'NO_PREVIOUS_VERSION' });
    await expect(svc().reindex('conformance-no-such-index')).rejects.toMatchObject({
      code: 'INDEX_NOT_FOUND',
    });
    await expect(svc().rollbackReindex('conformance-no-such-index')).rejects.toMatchObject({
      code: 'INDEX_NOT_FOUND',
    });
    expect((await svc().getIndex(index)).previous_version).toBeNull();
    await svc().dropIndex(index);
  });

  check(
    'loses no write made during a reindex or a rollback, and refuses a second reindex',
    async () => {
      const index = 'conformance-reindex-load';
      const docs = Array.from({ length: 3000 }, (_, i) => bulkDoc(i));
      await fresh(index, docs);
      const base = await snapshot(svc(), index);
      expect(base.size).toBe(docs.length);

      let load = writeLoad(
        svc(),
        index,
        docs.map((d) => d.name),
      );
      await sleep(50);
      const running = svc().reindex(index);
      // While it runs, a second one is refused and searches keep answering.
      await expect(svc().reindex(index)).rejects.toMatchObject({ code: 'REINDEX_IN_PROGRESS' });
      expect((await svc().search(index, { q: 'reindex', size: 1 })).total).toBeGreaterThan(0);
      const res = await running;
      await sleep(50);
      // A cluster acknowledges a write only once it is searchable (up to a refresh interval), so fewer writes fit in
      // the reindex than on the embedded engine: keep the load going until it has done enough, without a clock.
      // (Bounded only so that a load that failed reaches stop(), which reports its error.)
      for (let i = 0; load.writes <= 20 && i < 400; i++) await sleep(50);
      await load.stop();
      expect(load.writes).toBeGreaterThan(20);
      const afterReindex = await snapshot(svc(), index);
      expectAcknowledged(afterReindex, base, load.expected);
      expect(res.to_version).toBe(res.from_version + 1);
      expect((await svc().getIndex(index)).documents).toBe(afterReindex.size);

      load = writeLoad(svc(), index, [...afterReindex.keys()]);
      await sleep(50);
      await svc().rollbackReindex(index);
      await sleep(50);
      await load.stop();
      expectAcknowledged(await snapshot(svc(), index), afterReindex, load.expected);
      await svc().dropIndex(index);
    },
    180_000,
  );
}
