// @services opensearch, elasticsearch
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineDriver } from '../../../src/engines/conformance/driver.js';
import { FIXTURE_DOCS, FIXTURE_SCHEMA } from '../../../src/engines/conformance/fixtures.js';
import type { ClusterEngine } from '../../../src/engines/cluster/engine.js';
import { ClusterSnapshots } from '../../../src/engines/cluster/snapshot.js';
import type { SnapshotProgress } from '../../../src/engines/snapshots.js';
import { clusterEngine, uniquePrefix, type Product } from '../../support/cluster.js';

// Cluster snapshots through Sift: every version of every index and its alias into an `fs` repository under the
// node's path.repo, then a restore that brings back exactly the documents of the snapshot (by a digest of the
// export) after deletes, changes and a new index.

const digest = async (driver: EngineDriver, index: string) =>
  createHash('sha256')
    .update((await driver.exportDocuments(index)).map((d) => JSON.stringify(d)).join('\n'))
    .digest('hex');

for (const product of ['opensearch', 'elasticsearch'] as Product[]) {
  describe(`snapshots on ${product}`, { timeout: 180_000 }, () => {
    const prefix = uniquePrefix('snap');
    const repository = `sift-test-${prefix.replace(/-$/, '')}`;
    let engine: ClusterEngine;
    let driver: EngineDriver;
    let store: ClusterSnapshots;
    let before = '';

    beforeAll(async () => {
      engine = clusterEngine(product, { prefix });
      driver = new EngineDriver(engine);
      const t = engine.catalogue.transport;
      // The node's path.repo: an fs repository may only live under it; each run takes a folder of its own.
      const nodes = await t.request<{
        nodes: Record<string, { settings?: { path?: { repo?: string | string[] } } }>;
      }>({
        method: 'GET',
        path: '/_nodes/settings',
        querystring: { filter_path: 'nodes.*.settings.path.repo' },
      });
      const repo = Object.values(nodes.body.nodes)[0]?.settings?.path?.repo;
      const root = Array.isArray(repo) ? repo[0] : repo;
      expect(root, 'the test cluster runs with path.repo').toBeTruthy();
      const registered = await t.request({
        method: 'PUT',
        path: `/_snapshot/${repository}`,
        body: { type: 'fs', settings: { location: `${root}/${repository}` } },
      });
      expect(registered.status, JSON.stringify(registered.body)).toBe(200);
      store = new ClusterSnapshots(engine, repository);

      await driver.putIndex('books', FIXTURE_SCHEMA);
      expect((await driver.importDocuments('books', FIXTURE_DOCS)).failed).toBe(0);
      // A reindex first: the snapshot must bring back the live version 2, the kept version 1 and the alias.
      await driver.reindex('books');
      before = await digest(driver, 'books');
    });
    afterAll(async () => {
      const t = engine.catalogue.transport;
      for (const s of await store.list().catch(() => []))
        await t.request({ method: 'DELETE', path: `/_snapshot/${repository}/${s.name}` });
      await t.request({ method: 'DELETE', path: `/_snapshot/${repository}` });
      await engine.close();
    });

    it('takes a snapshot of every index with its versions, with progress, and lists it', async () => {
      const progress: SnapshotProgress[] = [];
      const info = await store.create('s1', (p) => progress.push(p));
      expect(info).toMatchObject({ name: 's1', engine: product, state: 'complete', location: repository });
      expect(info.indexes).toEqual([{ name: 'books', version: 2, documents: FIXTURE_DOCS.length }]);
      expect(progress.at(-1)).toMatchObject({ phase: 'shards' });
      expect(progress.at(-1)!.done).toBe(progress.at(-1)!.total);
      expect((await store.list()).map((s) => [s.name, s.state])).toEqual([['s1', 'complete']]);
    });

    it('restores the documents of the snapshot after deletes, changes and a new index', async () => {
      const ids = FIXTURE_DOCS.map((d) => d.name as string);
      for (const id of ids.slice(0, 3)) await driver.deleteDocument('books', id);
      await driver.putDocument('books', ids[3]!, {
        ...FIXTURE_DOCS[3],
        summary: 'changed after the snapshot',
      });
      await driver.putIndex('later', FIXTURE_SCHEMA);
      expect(await digest(driver, 'books')).not.toBe(before);

      const result = await store.restore('s1');
      expect(result.indexes.map((i) => i.name)).toEqual(['books']);
      expect(await digest(driver, 'books')).toBe(before);
      const info = await driver.getIndex('books');
      // Restored as new versions after the ones the index had (1 and 2), its name moved to the live one's copy.
      expect([info.documents, info.version, info.previous_version]).toEqual([FIXTURE_DOCS.length, 4, 3]);
      expect(result.indexes).toEqual([{ name: 'books', version: 4, documents: FIXTURE_DOCS.length }]);
      expect([...(await engine.catalogue.versions('books')).keys()].sort()).toEqual([3, 4]);
      // An index the snapshot does not hold is left alone.
      expect((await driver.listIndexes()).map((i) => i.name)).toEqual(['books', 'later']);
      // The restored index takes writes and searches as before.
      await driver.putDocument('books', 'after-restore', {
        name: 'after-restore',
        summary: 'zebra',
        downloads: 1,
      });
      expect((await driver.search('books', { q: 'zebra', track_total: true })).total).toBe(5);
    });

    it('leaves the indexes as they were when a restore fails half-way', async () => {
      const t = engine.catalogue.transport;
      const was = await digest(driver, 'books');
      const generation = (await driver.getIndex('books')).generation;
      // The snapshot's second version would be restored as version 6 of books (after 3 and 4, and 5 for the
      // first): an index already there, which is no version of books, makes that step fail after the first.
      const blocker = engine.catalogue.names.physical('books', 6);
      expect((await t.request({ method: 'PUT', path: `/${blocker}` })).status).toBe(200);
      try {
        const failed = store.restore('s1');
        await expect(failed).rejects.toMatchObject({ code: 'SNAPSHOT_CONFLICT' });
        await expect(failed).rejects.toThrow(/nothing changed/);
      } finally {
        await t.request({ method: 'DELETE', path: `/${blocker}` });
      }
      const info = await driver.getIndex('books');
      expect([info.version, info.previous_version, info.generation]).toEqual([4, 3, generation]);
      expect(await digest(driver, 'books')).toBe(was);
      expect([...(await engine.catalogue.versions('books')).keys()].sort()).toEqual([3, 4]);
      const v5 = await t.request({ method: 'HEAD', path: `/${engine.catalogue.names.physical('books', 5)}` });
      expect(v5.status).toBe(404);
      // And the same snapshot then restores.
      await store.restore('s1');
      expect(await digest(driver, 'books')).toBe(before);
    });

    it('refuses a taken name, a missing snapshot, no repository and an unknown one with their codes', async () => {
      await expect(store.create('s1')).rejects.toMatchObject({ code: 'SNAPSHOT_CONFLICT' });
      await expect(store.restore('nope')).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
      await expect(new ClusterSnapshots(engine, '').list()).rejects.toMatchObject({
        code: 'SNAPSHOT_INVALID',
      });
      await expect(new ClusterSnapshots(engine, `${repository}-unknown`).list()).rejects.toMatchObject({
        code: 'SNAPSHOT_NOT_FOUND',
      });
    });
  });
}
