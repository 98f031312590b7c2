import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ClusterEngine } from '../../src/engines/cluster/engine.js';
import { ElasticsearchTransport } from '../../src/engines/cluster/elasticsearch.js';
import { OpenSearchTransport } from '../../src/engines/cluster/opensearch.js';
import { REPO } from './child.js';

export type Product = 'elasticsearch' | 'opensearch';

/**
 * The URL of the product's node for heavy benchmarks (instance "bench" of scripts/services/<product>.sh, started
 * if it is not running): a load of 100k vectors stays off the node the tests share.
 */
export function benchNode(product: Product): string {
  const out = execFileSync('bash', [join(REPO, `scripts/services/${product}.sh`), 'start', 'bench'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return (JSON.parse(out.trim().split('\n').at(-1)!) as { url: string }).url;
}

/** A cluster engine on that node with generous time limits (graph builds and merges are slow on a busy machine). */
export function benchEngine(product: Product, url: string, prefix: string): ClusterEngine {
  const conn = { nodes: [url], requestTimeoutMs: 600_000 };
  return new ClusterEngine({
    transport: product === 'elasticsearch' ? new ElasticsearchTransport(conn) : new OpenSearchTransport(conn),
    prefix,
    refresh: 'false',
    bulk: { maxDocs: 500, maxBytes: 16 * 1024 * 1024, concurrency: 2, retries: 3 },
    searchTimeoutMs: 60_000,
    writeTimeoutMs: 600_000,
  });
}
