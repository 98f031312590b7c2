import { Client } from '@opensearch-project/opensearch';
import { SiftError } from '../../errors.js';
import { checkAnswer } from './answers.js';
import { ClusterNodes, type FailoverLog } from './failover.js';
import {
  type ClusterConnection,
  type ClusterRequest,
  type ClusterResponse,
  type ClusterTransport,
} from './transport.js';

/** OpenSearch 2.x/3.x through the official client; its answers come wrapped as `{ body, statusCode }`. */
export class OpenSearchTransport implements ClusterTransport {
  readonly product = 'opensearch' as const;
  /** One client per node URL: Sift picks the node of each attempt (failover.ts). */
  private readonly clients: Client[];
  private readonly nodes: ClusterNodes;
  private readonly requestTimeoutMs: number;

  constructor(conn: ClusterConnection, log?: FailoverLog) {
    this.requestTimeoutMs = conn.requestTimeoutMs;
    this.clients = conn.nodes.map(
      (node) =>
        new Client({
          node,
          ...(conn.username ? { auth: { username: conn.username, password: conn.password ?? '' } } : {}),
          ...(conn.apiKey ? { headers: { authorization: `ApiKey ${conn.apiKey}` } } : {}),
          ...(conn.ca ? { ssl: { ca: conn.ca } } : {}),
          requestTimeout: conn.requestTimeoutMs,
          ...(conn.maxConnections
            ? {
                agent: {
                  keepAlive: true,
                  maxSockets: conn.maxConnections,
                  maxFreeSockets: conn.maxConnections,
                },
              }
            : {}),
          // See the Elasticsearch transport: retries are Sift's own (failover.ts, and bulk.ts for writes).
          maxRetries: 0,
          // A one-node pool whose node failed still uses it (there is no other); the client's own pings to
          // bring it back would only duplicate Sift's probes.
          resurrectStrategy: 'none',
        }),
    );
    this.nodes = new ClusterNodes(
      conn.nodes,
      { nodes: conn.nodes.length, attemptTimeoutMs: conn.attemptTimeoutMs ?? conn.requestTimeoutMs },
      (node, params, timeoutMs) =>
        this.clients[node]!.transport.request(params, { requestTimeout: timeoutMs }),
      log,
    );
  }

  async request<T>(req: ClusterRequest, opts: { timeoutMs?: number } = {}): Promise<ClusterResponse<T>> {
    return this.nodes.request<T>(this.product, req, opts.timeoutMs ?? this.requestTimeoutMs);
  }

  async openPointInTime(index: string, keepAlive: string): Promise<string> {
    const res = await this.request<Record<string, string>>({
      method: 'POST',
      path: `/${encodeURIComponent(index)}/_search/point_in_time`,
      querystring: { keep_alive: keepAlive },
    });
    const id = checkAnswer(this.product, res, 'open point in time', index).body?.pit_id;
    if (!id) {
      throw new SiftError('INTERNAL', `point in time on ${index}: the answer has no id`, undefined, {
        cause: res.body,
      });
    }
    return id;
  }

  async closePointInTime(id: string): Promise<void> {
    await this.request({ method: 'DELETE', path: '/_search/point_in_time', body: { pit_id: [id] } });
  }

  async close(): Promise<void> {
    this.nodes.close();
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
