import type { Config } from '../config/config.js';
import type { Engine } from './engine.js';
import { SqliteEngine } from './sqlite/engine.js';

/**
 * The engine named by configuration: embedded SQLite, or an Elasticsearch or OpenSearch cluster. The cluster
 * engines and their official clients load only when configured: they take about half a second to import, which
 * every CLI command on the embedded engine would otherwise pay.
 */
export async function createEngine(config: Config, opts: { readThreads?: boolean } = {}): Promise<Engine> {
  switch (config.SEARCH_ENGINE) {
    case 'embedded':
      return new SqliteEngine({
        dataDir: config.DATA_DIR,
        ...(opts.readThreads === false ? { readers: 0 } : {}),
      });
    case 'elasticsearch':
    case 'opensearch': {
      const { createClusterEngine } = await import('./cluster/create.js');
      return createClusterEngine(config, config.SEARCH_ENGINE);
    }
  }
}
