// @services opensearch
/**
 * Cluster-specific reindex behaviour (the engine-neutral cases are in src/engines/conformance/reindex-cases.ts):
 * two Sift processes (two engines with their own clients, sharing a cluster and a prefix) coordinate only through
 * the system index, so writes through one are kept while the other reindexes; a copy whose process died is taken
 * over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterEngine, uniquePrefix } from '../../support/cluster.js';
import { FIXTURE_SCHEMA } from '../../../src/engines/conformance/fixtures.js';
import { snapshot } from '../../../src/engines/conformance/reindex-cases.js';
import { SearchService } from '../../../src/service/search-service.js';
import type { ClusterEngine } from '../../../src/engines/cluster/engine.js';

describe('reindex across processes (real OpenSearch node)', () => {
  const prefix = uniquePrefix('rx');
  let a: ClusterEngine;
  let b: ClusterEngine;
  let svcA: SearchService;
  let svcB: SearchService;

  beforeAll(async () => {
    a = clusterEngine('opensearch', { prefix });
    b = clusterEngine('opensearch', { prefix });
    svcA = new SearchService(a);
    svcB = new SearchService(b);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('keeps every write made through another process while one reindexes', async () => {
    const index = 'cross-process';
    await svcA.putIndex(index, FIXTURE_SCHEMA);
    const docs = Array.from({ length: 6000 }, (_, i) => ({ name: `doc-${i}`, downloads: i }));
    expect((await svcA.importDocuments(index, docs)).failed).toBe(0);
    const expected = new Map<string, number | null>(docs.map((d) => [d.name, d.downloads]));
    let running = true;
    let writes = 0;
    // Process B writes (creates, updates, deletes) in batches while process A reindexes.
    const load = (async () => {
      for (let k = 0; running; k++) {
        const batch = Array.from({ length: 20 }, (_, j) => ({ name: `live-${k}-${j}`, downloads: k }));
        await svcB.importDocuments(index, batch);
        for (const d of batch) expected.set(d.name, d.downloads);
        const victim = `doc-${(k * 37) % 2000}`;
        if (expected.get(victim) !== null) {
          await svcB.deleteDocument(index, victim);
          expected.set(victim, null);
        }
        await svcB.putDocument(index, `doc-${(k * 53 + 1) % 2000}`, { downloads: 10_000 + k });
        if (expected.get(`doc-${(k * 53 + 1) % 2000}`) !== undefined)
          expected.set(`doc-${(k * 53 + 1) % 2000}`, 10_000 + k);
        writes++;
      }
    })();
    const progress: number[] = [];
    const res = await svcA.engine.reindex(index, { onProgress: (p) => progress.push(p.copied) });
    running = false;
    await load;
    expect(writes).toBeGreaterThan(0);
    expect(res.to_version).toBe(res.from_version + 1);
    expect(progress.at(-1)).toBeGreaterThanOrEqual(6000 - writes);
    const want = new Map([...expected].filter(([, v]) => v !== null));
    const got = await snapshot(svcB, index);
    const missing = [...want].filter(([id, v]) => got.get(id) !== v).map(([id]) => id);
    const extra = [...got.keys()].filter((id) => !want.has(id));
    expect({ missing: missing.slice(0, 10), extra: extra.slice(0, 10) }).toEqual({ missing: [], extra: [] });
    expect((await svcB.getIndex(index)).version).toBe(res.to_version);
    await svcA.dropIndex(index);
  }, 120_000);

  it('takes over a copy whose process died, and refuses one that is alive', async () => {
    const index = 'stale-copy';
    await svcA.putIndex(index, FIXTURE_SCHEMA);
    await svcA.importDocuments(index, [{ name: 'one' }, { name: 'two' }]);
    const current = (await a.catalogue.resolve(index))!;
    const dead = {
      index,
      state: 'copying' as const,
      from: current.physical,
      to: a.catalogue.names.physical(index, 7),
      from_version: 1,
      to_version: 7,
      from_schema: current.meta.schema,
      to_schema: current.meta.schema,
      started_at: new Date(Date.now() - 3_600_000).toISOString(),
      owner: 'gone:1',
    };
    // A live copy (fresh heartbeat) is respected...
    expect(await a.markers.claim({ ...dead, heartbeat_at: new Date().toISOString() }, async () => {})).toBe(
      true,
    );
    await expect(svcB.engine.reindex(index)).rejects.toMatchObject({ code: 'REINDEX_IN_PROGRESS' });
    // ...one whose heartbeat stopped an hour ago is taken over, with its half-built version dropped.
    await a.markers.update({ ...dead, heartbeat_at: dead.started_at });
    await a.catalogue.createVersion(index, current.meta.schema, { ...current.meta, version: 7 }, false);
    const res = await svcB.engine.reindex(index);
    expect(res.documents).toBe(2);
    expect((await b.catalogue.versions(index)).has(7)).toBe(false);
    await svcA.dropIndex(index);
  }, 60_000);
});
