import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Config } from '../config/config.js';

/**
 * The prefix of Sift's Redis keys. Two deployments sharing one Redis must not share cache entries unless they
 * serve the same data: the embedded engine's data is one directory on one host, so its namespace is derived from
 * both (every worker and every process on that directory shares it); other engines from where they connect.
 */
export function cacheNamespace(config: Config): string {
  if (config.CACHE_NAMESPACE)
    return config.CACHE_NAMESPACE.endsWith(':') ? config.CACHE_NAMESPACE : `${config.CACHE_NAMESPACE}:`;
  const identity =
    config.SEARCH_ENGINE === 'embedded'
      ? `embedded|${hostname()}|${resolve(config.DATA_DIR)}`
      : [
          config.SEARCH_ENGINE,
          config.ELASTICSEARCH_URL || `${config.ELASTICSEARCH_HOST}:${config.ELASTICSEARCH_PORT}`,
          config.ELASTICSEARCH_INDEX_PREFIX,
        ].join('|');
  return `sift:${createHash('sha256').update(identity).digest('hex').slice(0, 16)}:`;
}
