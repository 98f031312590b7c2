// @services opensearch, elasticsearch
/**
 * The cluster engines' health against the real servers: healthy with the product's version. Elasticsearch 8's
 * integ-test-zip (the test servers' distribution) has no `rest-root` module and answers `GET /` with 405; the
 * health check read the version only from there, so readiness on it never came up.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterEngine } from '../../../src/engines/cluster/engine.js';
import { clusterEngine, type Product } from '../../support/cluster.js';

describe.each<Product>(['opensearch', 'elasticsearch'])('%s health', (product) => {
  const engines: ClusterEngine[] = [];
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.close()));
  });

  it('is healthy and names the version', async () => {
    const one = clusterEngine(product);
    engines.push(one);
    const health = await one.health();
    expect(health).toMatchObject({ ok: true, engine: product });
    expect(health.version).toMatch(new RegExp(`^${product} \\d+\\.\\d+\\.\\d+`));
  });
});
