// @services elasticsearch
/**
 * Round trips the cluster engine makes per operation, counted at the transport of a real Elasticsearch node:
 * the service's schema read is one request, and the writes of one second read the reindex marker once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { clusterEngine, uniquePrefix } from '../../support/cluster.js';
import { FIXTURE_SCHEMA } from '../../../src/engines/conformance/fixtures.js';
import { SearchService } from '../../../src/service/search-service.js';
import { connectionFromConfig } from '../../../src/engines/cluster/create.js';
import { ClusterEngine } from '../../../src/engines/cluster/engine.js';
import type { ClusterRequest, ClusterTransport } from '../../../src/engines/cluster/transport.js';

describe('cluster engine round trips (real Elasticsearch node)', () => {
  const requests: ClusterRequest[] = [];
  let real: ClusterEngine;
  let engine: ClusterEngine;
  let service: SearchService;

  beforeAll(async () => {
    real = clusterEngine('elasticsearch', { prefix: uniquePrefix('rt') });
    const t = real.transport;
    const counting: ClusterTransport = {
      product: t.product,
      request: (req, opts) => {
        requests.push(req);
        return t.request(req, opts);
      },
      openPointInTime: (i, k) => t.openPointInTime(i, k),
      closePointInTime: (id) => t.closePointInTime(id),
      close: async () => undefined,
    };
    engine = new ClusterEngine({ ...real.opts, transport: counting });
    service = new SearchService(engine);
    await service.putIndex('trips', FIXTURE_SCHEMA);
  });
  afterAll(async () => {
    await real.close();
  });

  it('reads a schema with one request', async () => {
    requests.length = 0;
    expect((await service.schemaOf('trips')).id_field).toBe(FIXTURE_SCHEMA.id_field);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /${engine.catalogue.names.alias('trips')}/_mapping`,
    ]);
  });

  it('reads the reindex marker once for the writes of one second, and again after it', async () => {
    const markerReads = () =>
      requests.filter((r) => r.method === 'GET' && r.path.includes('reindex%3A')).length;
    requests.length = 0;
    const started = performance.now();
    const write = (id: string) =>
      engine.upsert('trips', { id, document: { name: id, downloads: 1 } }, { refresh: false });
    await Promise.all(Array.from({ length: 5 }, (_, i) => write(`doc-${i}`)));
    // The bound is the marker cache's: a slow machine may cross it within the five writes.
    const reads = markerReads();
    if (performance.now() - started < 900) expect(reads).toBe(1);
    else expect(reads).toBeLessThan(5);
    await new Promise((r) => setTimeout(r, 1100));
    await write('doc-late');
    expect(markerReads()).toBe(reads + 1);
  });
});

describe('connections to the cluster', () => {
  it('are shared out between the workers', () => {
    const conn = (workers: string) =>
      connectionFromConfig(
        loadConfig(
          { SEARCH_ENGINE: 'elasticsearch', ELASTICSEARCH_URL: 'http://127.0.0.1:9200', WORKERS: workers },
          '/nonexistent',
        ),
      ).maxConnections;
    expect(conn('1')).toBe(128);
    expect(conn('4')).toBe(32);
    expect(conn('64')).toBe(16);
  });
});
