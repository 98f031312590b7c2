import type { Config } from '../config/config.js';
import { createClusterEngine } from './cluster/create.js';
import type { Engine } from './engine.js';
import { SqliteEngine } from './sqlite/engine.js';

/** The engine named by configuration: embedded SQLite, or an Elasticsearch or OpenSearch cluster. */
export function createEngine(config: Config): Engine {
  switch (config.SEARCH_ENGINE) {
    case 'embedded':
      return new SqliteEngine({ dataDir: config.DATA_DIR });
    case 'elasticsearch':
    case 'opensearch':
      return createClusterEngine(config, config.SEARCH_ENGINE);
  }
}
