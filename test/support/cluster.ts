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
  const transport =
    product === 'elasticsearch' ? new ElasticsearchTransport(conn) : new OpenSearchTransport(conn);
  const prefix = opts.prefix ?? uniquePrefix();
  const engine = new ClusterEngine({
    transport,
    prefix,
    refresh: 'wait_for',
    bulk: { maxDocs: 500, maxBytes: 1024 * 1024, concurrency: 2, retries: opts.retries ?? 3 },
    searchTimeoutMs: opts.timeoutMs ?? 30_000,
    writeTimeoutMs: opts.timeoutMs ?? 30_000,
  });
  // Closing also removes what this test engine left in the shared cluster: its indexes (a failed test may not
  // have dropped them) and its system index. Engines sharing a prefix clean up once, through the last close.
  const close = engine.close.bind(engine);
  engine.close = async () => {
    const users = (open.get(prefix) ?? 1) - 1;
    open.set(prefix, users);
    if (users <= 0) {
      // Names resolved first: Elasticsearch refuses wildcard deletes (action.destructive_requires_name).
      const found = await transport
        .request<{ index: string }[]>({
          method: 'GET',
          path: `/_cat/indices/${prefix}*,.${prefix}sift-system`,
          querystring: { format: 'json', h: 'index', expand_wildcards: 'all' },
        })
        .catch(() => ({ status: 500, body: [] }));
      const names = found.status === 200 ? found.body.map((r) => r.index) : [];
      if (names.length)
        await transport.request({ method: 'DELETE', path: `/${names.join(',')}` }).catch(() => undefined);
    }
    await close();
  };
  open.set(prefix, (open.get(prefix) ?? 0) + 1);
  return engine;
}

const open = new Map<string, number>();
