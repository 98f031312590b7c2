import { describe, expect, it } from 'vitest';
import { healthServes } from './readiness.js';

describe('healthServes', () => {
  it('serves on green and yellow', () => {
    expect(healthServes({ status: 'green' })).toEqual({ ok: true });
    expect(healthServes({ status: 'yellow', discovered_cluster_manager: true })).toEqual({ ok: true });
  });

  it('does not serve on red with a primary missing', () => {
    expect(healthServes({ status: 'red', discovered_cluster_manager: true })).toMatchObject({ ok: false });
    expect(healthServes({ status: 'red', unassigned_primary_shards: 1 })).toMatchObject({ ok: false });
    expect(healthServes({ status: 'red' })).toMatchObject({ ok: false, detail: 'cluster health is red' });
    expect(healthServes(undefined)).toMatchObject({ ok: false });
  });

  it('serves on red while no manager is elected (every copy is still there; only writes wait)', () => {
    expect(healthServes({ status: 'red', discovered_cluster_manager: false })).toMatchObject({ ok: true });
    expect(healthServes({ status: 'red', discovered_master: false })).toMatchObject({ ok: true });
    // Elasticsearch: red, but no primary is unassigned in the node's view.
    expect(healthServes({ status: 'red', unassigned_primary_shards: 0 })).toMatchObject({ ok: true });
  });
});
