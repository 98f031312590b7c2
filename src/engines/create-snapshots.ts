import type { Config } from '../config/config.js';
import { SiftError } from '../errors.js';
import type { SnapshotStore } from './snapshots.js';
import { EmbeddedSnapshots } from './sqlite/snapshot.js';

/**
 * The snapshot store of the configured engine: folders under SNAPSHOT_DIR for the embedded engine, the cluster
 * repository SNAPSHOT_REPOSITORY for Elasticsearch and OpenSearch. `restoreInto`: the data directory an embedded
 * restore writes (the configured one when absent); the clusters restore into themselves.
 */
export async function createSnapshotStore(
  config: Config,
  opts: { restoreInto?: string } = {},
): Promise<SnapshotStore> {
  if (config.SEARCH_ENGINE === 'embedded') {
    return new EmbeddedSnapshots({
      dataDir: config.DATA_DIR,
      ...(config.SNAPSHOT_DIR ? { snapshotDir: config.SNAPSHOT_DIR } : {}),
      ...(opts.restoreInto !== undefined ? { restoreInto: opts.restoreInto } : {}),
    });
  }
  if (opts.restoreInto !== undefined) {
    throw new SiftError(
      'SNAPSHOT_INVALID',
      `a restore into another data directory is for the embedded engine; ${config.SEARCH_ENGINE} restores into the cluster`,
    );
  }
  const { createClusterEngine } = await import('./cluster/create.js');
  const { ClusterSnapshots } = await import('./cluster/snapshot.js');
  const engine = createClusterEngine(config, config.SEARCH_ENGINE);
  await engine.open();
  return new ClusterSnapshots(engine, config.SNAPSHOT_REPOSITORY);
}
