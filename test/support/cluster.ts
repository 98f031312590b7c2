import { ClusterEngine } from '../../src/engines/cluster/engine.js';
import { ElasticsearchTransport } from '../../src/engines/cluster/elasticsearch.js';
import { OpenSearchTransport } from '../../src/engines/cluster/opensearch.js';
import { serviceUrl } from './services.js';

export type Product = 'opensearch' | 'elasticsearch';

let counter = 0;
/** A prefix no other test run shares, so runs on the same cluster (other engineers, other files) never collide. */
export const uniquePrefix = (tag = 't'): string =>
  `${tag}${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${(counter++).toString(36)}-`;

/** A cluster engine against the real server started for this run (or `url`). */
export function clusterEngine(
  product: Product,
  opts: { url?: string; prefix?: string; timeoutMs?: number; retries?: number } = {},
): ClusterEngine {
  const conn = { nodes: [opts.url ?? serviceUrl(product)], requestTimeoutMs: opts.timeoutMs ?? 30_000 };
  const transport = product === 'elasticsearch' ? new ElasticsearchTransport(conn) : new OpenSearchTransport(conn);
  return new ClusterEngine({
    transport,
    prefix: opts.prefix ?? uniquePrefix(),
    refresh: 'wait_for',
    bulk: { maxDocs: 500, maxBytes: 1024 * 1024, concurrency: 2, retries: opts.retries ?? 3 },
    searchTimeoutMs: opts.timeoutMs ?? 30_000,
    writeTimeoutMs: opts.timeoutMs ?? 30_000,
  });
}
