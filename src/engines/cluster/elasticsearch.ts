import { Client } from '@elastic/elasticsearch';
import { SiftError } from '../../errors.js';
import { checkAnswer } from './answers.js';
import { ClusterNodes, type FailoverLog } from './failover.js';
import {
  type ClusterConnection,
  type ClusterRequest,
  type ClusterResponse,
  type ClusterTransport,
} from './transport.js';

/** Elasticsearch 8.x/9.x through the official client; it answers bodies, `meta: true` adds the status. */
export class ElasticsearchTransport implements ClusterTransport {
  readonly product = 'elasticsearch' as const;
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
          ...(conn.apiKey
            ? { auth: { apiKey: conn.apiKey } }
            : conn.username
              ? { auth: { username: conn.username, password: conn.password ?? '' } }
              : {}),
          ...(conn.ca ? { tls: { ca: conn.ca } } : {}),
          requestTimeout: conn.requestTimeoutMs,
          ...(conn.maxConnections ? { agent: { connections: conn.maxConnections } } : {}),
          // Retries are Sift's own (failover.ts on another node within the request's deadline, bulk.ts with
          // backoff for writes): the client's own loop would give each attempt the whole timeout.
          maxRetries: 0,
        }),
    );
    this.nodes = new ClusterNodes(
      conn.nodes,
      { nodes: conn.nodes.length, attemptTimeoutMs: conn.attemptTimeoutMs ?? conn.requestTimeoutMs },
      (node, params, timeoutMs) =>
        this.clients[node]!.transport.request(params, { meta: true, requestTimeout: timeoutMs }),
      log,
    );
  }

  async request<T>(req: ClusterRequest, opts: { timeoutMs?: number } = {}): Promise<ClusterResponse<T>> {
    return this.nodes.request<T>(this.product, req, opts.timeoutMs ?? this.requestTimeoutMs);
  }

  async openPointInTime(index: string, keepAlive: string): Promise<string> {
    const res = await this.request<Record<string, string>>({
      method: 'POST',
      path: `/${encodeURIComponent(index)}/_pit`,
      querystring: { keep_alive: keepAlive },
    });
    const id = checkAnswer(this.product, res, 'open point in time', index).body?.id;
    if (!id) {
      throw new SiftError('INTERNAL', `point in time on ${index}: the answer has no id`, undefined, {
        cause: res.body,
      });
    }
    return id;
  }

  async closePointInTime(id: string): Promise<void> {
    await this.request({ method: 'DELETE', path: '/_pit', body: { id } });
  }

  async close(): Promise<void> {
    this.nodes.close();
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
