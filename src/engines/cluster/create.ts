import { readFileSync } from 'node:fs';
import type { Config } from '../../config/config.js';
import { SiftError } from '../../errors.js';
import { createLogger } from '../../observability/logger.js';
import { ClusterEngine } from './engine.js';
import { ElasticsearchTransport } from './elasticsearch.js';
import { OpenSearchTransport } from './opensearch.js';
import type { ClusterConnection } from './transport.js';

/**
 * Keep-alive connections to each node for all the workers of one Sift together, shared out between them: one
 * worker under a c=50 load keeps 50 searches in flight, and four workers should not open four times what one
 * needs (the clients' own default is 256 per process).
 */
const CONNECTIONS_PER_NODE = 128;

/** The cluster connection of the configuration: ELASTICSEARCH_URL, or the seed's host and port. */
export function connectionFromConfig(config: Config): ClusterConnection {
  const nodes = config.ELASTICSEARCH_URL
    ? config.ELASTICSEARCH_URL.split(',').map((s) => s.trim())
    : [`http://${config.ELASTICSEARCH_HOST}:${config.ELASTICSEARCH_PORT}`];
  let ca: string | undefined;
  if (config.ELASTICSEARCH_CA_FILE) {
    try {
      ca = readFileSync(config.ELASTICSEARCH_CA_FILE, 'utf8');
    } catch (err) {
      throw new SiftError(
        'ENGINE_UNAVAILABLE',
        `ELASTICSEARCH_CA_FILE cannot be read: ${(err as Error).message}`,
      );
    }
  }
  return {
    nodes,
    ...(config.ELASTICSEARCH_USERNAME
      ? { username: config.ELASTICSEARCH_USERNAME, password: config.ELASTICSEARCH_PASSWORD }
      : {}),
    ...(config.ELASTICSEARCH_API_KEY ? { apiKey: config.ELASTICSEARCH_API_KEY } : {}),
    ...(ca ? { ca } : {}),
    requestTimeoutMs: config.ELASTICSEARCH_TIMEOUT * 1000,
    attemptTimeoutMs: Math.min(config.ELASTICSEARCH_NODE_TIMEOUT_MS, config.ELASTICSEARCH_TIMEOUT * 1000),
    maxConnections: Math.max(16, Math.ceil(CONNECTIONS_PER_NODE / config.WORKERS)),
  };
}

export function createClusterEngine(
  config: Config,
  product: 'elasticsearch' | 'opensearch',
  overrides: { prefix?: string } = {},
): ClusterEngine {
  const conn = connectionFromConfig(config);
  const log = createLogger(config);
  // The transport tells the log which node failed an attempt and which became suspect (failover.ts).
  const transport =
    product === 'elasticsearch' ? new ElasticsearchTransport(conn, log) : new OpenSearchTransport(conn, log);
  // A search must be answered (even if only with a 503) before the HTTP request itself times out, and its
  // attempts on other nodes (failover.ts) must fit in the engine deadline, which answers 504 past it.
  const searchTimeoutMs = Math.max(
    200,
    Math.min(conn.requestTimeoutMs, config.REQUEST_TIMEOUT_MS - 1000, config.ENGINE_TIMEOUT_MS),
  );
  return new ClusterEngine({
    transport,
    prefix: overrides.prefix ?? config.ELASTICSEARCH_INDEX_PREFIX,
    refresh: config.ELASTICSEARCH_REFRESH,
    bulk: {
      maxDocs: config.ELASTICSEARCH_BULK_DOCS,
      maxBytes: config.ELASTICSEARCH_BULK_BYTES,
      concurrency: config.ELASTICSEARCH_BULK_CONCURRENCY,
      retries: config.ELASTICSEARCH_RETRIES,
    },
    searchTimeoutMs,
    writeTimeoutMs: conn.requestTimeoutMs,
    maxResultWindow: config.MAX_RESULT_WINDOW,
    replicas: config.ELASTICSEARCH_REPLICAS,
    mergeAfterLoad: config.ELASTICSEARCH_MERGE_AFTER_LOAD,
    log,
  });
}
