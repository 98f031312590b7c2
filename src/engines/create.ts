import type { Config } from '../config/config.js';
import type { Engine } from './engine.js';
import { SqliteEngine } from './sqlite/engine.js';

/** The engine named by configuration. Elasticsearch and OpenSearch join this switch in their own issue. */
export function createEngine(config: Config): Engine {
  switch (config.SEARCH_ENGINE) {
    case 'embedded':
      return new SqliteEngine({ dataDir: config.DATA_DIR });
  }
}
