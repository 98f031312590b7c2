/**
 * Partial updates (JSON merge patch) and export, engine-neutral: everything goes through the EngineDriver. Each
 * case that changes documents works on documents or an index of its own, so it can run beside the other cases.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { Document } from '../../schema/document.js';
import type { EngineDriver } from './driver.js';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from './fixtures.js';

type Check = (title: string, fn: () => Promise<void>, timeoutMs?: number) => void;

/** Object keys in order at every depth, so equal documents serialise equally whatever order they were built in. */
const canonical = (v: unknown): string =>
  v !== null && typeof v === 'object' && !Array.isArray(v)
    ? `{${Object.keys(v)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
        .join(',')}}`
    : JSON.stringify(v);

/** A digest of a list of documents, in the order given. */
export const digest = (docs: Document[]): string =>
  createHash('sha256').update(docs.map(canonical).join('\n')).digest('hex');

/** FIXTURE_DOCS by name, in id order, as the engines order ids (code-unit order: the ids are ASCII). */
const fixtureIds = () => FIXTURE_DOCS.map((d) => d.name as string).sort();

export function documentCases(check: Check, driver: () => EngineDriver, idx: string): void {
  check('patches a document with merge patch semantics: null removes, others stay', async () => {
    const svc = driver();
    await svc.putDocument(idx, 'patch-me', {
      name: 'patch-me',
      summary: 'a patchable obsidian thing',
      downloads: 5,
      license: 'MIT',
      scope: '@patch',
    });
    const stored = await svc.patchDocument(idx, 'patch-me', {
      downloads: 6,
      license: null,
      summary: 'a patched zircon thing',
    });
    expect(stored).toEqual({
      name: 'patch-me',
      summary: 'a patched zircon thing',
      downloads: 6,
      scope: '@patch',
    });
    expect((await svc.getDocument(idx, 'patch-me')).document).toEqual(stored);
    // The search indexes follow: the new text is found, the old is not, the removed field no longer filters.
    expect((await svc.search(idx, { q: 'zircon' })).hits.map((h) => h.id)).toEqual(['patch-me']);
    expect((await svc.search(idx, { q: 'obsidian' })).hits).toEqual([]);
    expect((await svc.search(idx, { filter: 'downloads = 6' })).hits.map((h) => h.id)).toEqual(['patch-me']);
    // An empty patch changes nothing and a repeated one is idempotent.
    expect(await svc.patchDocument(idx, 'patch-me', {})).toEqual(stored);
    expect(await svc.patchDocument(idx, 'patch-me', { license: null })).toEqual(stored);
    await svc.deleteDocument(idx, 'patch-me');
  });

  check(
    'refuses a patch that breaks the schema, writing nothing, and a patch of a missing document',
    async () => {
      const svc = driver();
      const original = { name: 'patch-strict', summary: 'strict', downloads: 1, license: 'ISC' };
      await svc.putDocument(idx, 'patch-strict', original);
      const generation = (await svc.getIndex(idx)).generation;
      for (const [patch, field] of [
        [{ downloads: 'many' }, 'downloads'],
        [{ downloads: 2, nosuchfield: 1 }, 'nosuchfield'],
        [{ name: 'renamed' }, 'name'],
        [{ published: 'yesterday' }, 'published'],
      ] as const) {
        await expect(svc.patchDocument(idx, 'patch-strict', patch)).rejects.toMatchObject({
          code: 'INVALID_DOCUMENT',
          details: { field },
        });
      }
      for (const patch of [null, [], 'x', 3]) {
        await expect(svc.patchDocument(idx, 'patch-strict', patch)).rejects.toMatchObject({
          code: 'INVALID_PATCH',
        });
      }
      expect((await svc.getDocument(idx, 'patch-strict')).document).toEqual(original);
      expect((await svc.getIndex(idx)).generation).toBe(generation);
      await expect(svc.patchDocument(idx, 'patch-missing', { downloads: 1 })).rejects.toMatchObject({
        code: 'DOCUMENT_NOT_FOUND',
      });
      await expect(svc.getDocument(idx, 'patch-missing')).rejects.toMatchObject({
        code: 'DOCUMENT_NOT_FOUND',
      });
      await expect(svc.patchDocument('no-such-index', 'x', {})).rejects.toMatchObject({
        code: 'INDEX_NOT_FOUND',
      });
      await svc.deleteDocument(idx, 'patch-strict');
    },
  );

  check(
    'patches a batch in order, reporting each item in place',
    async () => {
      const svc = driver();
      await svc.putDocument(idx, 'patch-batch', { name: 'patch-batch', downloads: 1, license: 'MIT' });
      const res = await svc.patchDocuments(idx, [
        { id: 'patch-batch', patch: { downloads: 2 } },
        { id: 'patch-batch', patch: { downloads: 'x' } },
        { id: 'patch-nobody', patch: { downloads: 3 } },
        { id: 'patch-batch', nope: {} },
        { id: 'patch-batch', patch: { downloads: 4, license: null } },
      ]);
      expect(res.updated).toBe(2);
      expect(res.failed).toBe(3);
      expect(res.items.map((i) => [i.index, i.status, i.error?.code])).toEqual([
        [0, 200, undefined],
        [1, 400, 'INVALID_DOCUMENT'],
        [2, 404, 'DOCUMENT_NOT_FOUND'],
        [3, 400, 'INVALID_PATCH'],
        [4, 200, undefined],
      ]);
      expect((await svc.getDocument(idx, 'patch-batch')).document).toEqual({
        name: 'patch-batch',
        downloads: 4,
      });
      await svc.deleteDocument(idx, 'patch-batch');

      // Many documents in one batch (patched side by side), each patched twice: the later patch of an id wins.
      const many = Array.from({ length: 40 }, (_, i) => `patch-many-${String(i).padStart(2, '0')}`);
      expect(
        (
          await svc.importDocuments(
            idx,
            many.map((name) => ({ name, downloads: 0 })),
          )
        ).failed,
      ).toBe(0);
      const twice = await svc.patchDocuments(idx, [
        ...many.map((id, i) => ({ id, patch: { downloads: i, license: 'MIT' } })),
        ...many.map((id, i) => ({ id, patch: { downloads: i + 1000 } })),
      ]);
      expect([twice.updated, twice.failed]).toEqual([80, 0]);
      expect(twice.items.map((i) => i.index)).toEqual([...Array(80).keys()]);
      const stored = await Promise.all(many.map(async (id) => (await svc.getDocument(idx, id)).document));
      for (const [i, id] of many.entries())
        expect(stored[i]).toEqual({
          name: id,
          downloads: i + 1000,
          license: 'MIT',
        });
      // Side by side: on a cluster each acknowledged write waits for a refresh.
      await Promise.all(many.map((id) => svc.deleteDocument(idx, id)));
    },
    120_000,
  );

  check(
    'never loses a field when many patches of one document run at once',
    async () => {
      const svc = driver();
      const index = `${idx}-patch-race`;
      const FIELDS = 24;
      const names = Array.from({ length: FIELDS }, (_, i) => `f${i}`);
      await svc.dropIndex(index).catch(() => undefined);
      await svc.putIndex(index, {
        id_field: 'id',
        fields: {
          id: { type: 'keyword' },
          note: { type: 'text' },
          ...Object.fromEntries(names.map((n) => [n, { type: 'integer' }])),
        },
      });
      try {
        await svc.putDocument(index, 'doc', { id: 'doc' });
        // Each round sets every field at once, each patch one field: a read-modify-write that is not atomic
        // writes back a copy read before the others landed, and drops their fields.
        for (let round = 1; round <= 3; round++) {
          await Promise.all(names.map((n, i) => svc.patchDocument(index, 'doc', { [n]: round * 100 + i })));
          const expected = Object.fromEntries([['id', 'doc'], ...names.map((n, i) => [n, round * 100 + i])]);
          expect((await svc.getDocument(index, 'doc')).document).toEqual(expected);
        }
        // Removals race with sets of other fields: each lands.
        await Promise.all(
          names.map((n, i) => svc.patchDocument(index, 'doc', { [n]: i % 2 === 0 ? null : i })),
        );
        const odd = Object.fromEntries([['id', 'doc'], ...names.flatMap((n, i) => (i % 2 ? [[n, i]] : []))]);
        expect((await svc.getDocument(index, 'doc')).document).toEqual(odd);
      } finally {
        await svc.dropIndex(index).catch(() => undefined);
      }
    },
    120_000,
  );

  check("exports every document in id order, a filter's matches, and resumes after an id", async () => {
    const svc = driver();
    const all = await svc.exportDocuments(idx);
    const ids = fixtureIds();
    expect(all.map((d) => d.name)).toEqual(ids);
    // Exactly the stored documents, every field.
    for (const doc of all.slice(0, 5))
      expect(doc).toEqual((await svc.getDocument(idx, doc.name as string)).document);
    const types = await svc.exportDocuments(idx, { filter: 'scope = "@types"' });
    expect(types.map((d) => d.name)).toEqual(['@types/node', '@types/react', '@types/react-dom']);
    const tree = await svc.exportDocuments(idx, {
      filter: { term: { scope: '@types' } },
      after: '@types/node',
    });
    expect(tree.map((d) => d.name)).toEqual(['@types/react', '@types/react-dom']);
    expect((await svc.exportDocuments(idx, { after: ids[4]! })).map((d) => d.name)).toEqual(ids.slice(5));
    expect(await svc.exportDocuments(idx, { after: ids[ids.length - 1]! })).toEqual([]);
    let total = -1;
    await svc.exportDocuments(idx, { filter: 'deprecated = true', onTotal: (n) => (total = n) });
    expect(total).toBe(2);
    await expect(svc.exportDocuments('no-such-index')).rejects.toMatchObject({ code: 'INDEX_NOT_FOUND' });
    await expect(svc.exportDocuments(idx, { filter: 'nosuch = 1' })).rejects.toMatchObject({
      code: 'INVALID_FILTER',
    });
  });

  check(
    'export, drop, import gives the same documents (checked by a digest), across several export pages',
    async () => {
      const svc = driver();
      const index = `${idx}-round-trip`;
      await svc.dropIndex(index).catch(() => undefined);
      await svc.putIndex(index, FIXTURE_SCHEMA);
      try {
        // More than two pages of the export, with every field type and a few absent fields.
        const generated = Array.from({ length: 1_234 }, (_, i) => ({
          name: `rt-${String(i).padStart(5, '0')}`,
          summary: `round trip document ${i} with "quotes", émoji 🎉 and <tags>`,
          downloads: i * 7,
          ...(i % 3 ? { license: i % 2 ? 'MIT' : 'ISC' } : {}),
          ...(i % 5 ? { published: new Date(Date.UTC(2010, 0, 1) + i * 86_400_000).toISOString() } : {}),
          ...(i % 4 === 0 ? { deprecated: i % 8 === 0 } : {}),
          ...(i % 6 === 0 ? { scope: '@rt' } : {}),
        }));
        expect((await svc.importDocuments(index, [...FIXTURE_DOCS, ...generated])).failed).toBe(0);
        const before = await svc.exportDocuments(index);
        expect(before).toHaveLength(FIXTURE_DOCS.length + generated.length);
        const sum = digest(before);

        await svc.dropIndex(index);
        await svc.putIndex(index, FIXTURE_SCHEMA);
        // The export's lines, as `sift import` would read them back.
        const lines = before.map((d) => JSON.stringify(d)).map((l) => JSON.parse(l) as unknown);
        expect((await svc.importDocuments(index, lines)).failed).toBe(0);
        const after = await svc.exportDocuments(index);
        expect(after).toHaveLength(before.length);
        expect(digest(after)).toBe(sum);
      } finally {
        await svc.dropIndex(index).catch(() => undefined);
      }
    },
    180_000,
  );
}
