import { Client, ClusterConnectionPool } from '@elastic/elasticsearch';
import { SiftError } from '../../errors.js';
import { checkAnswer } from './answers.js';
import { sendWithFailover, type FailoverPolicy } from './failover.js';
import {
  clientParams,
  type ClusterConnection,
  type ClusterRequest,
  type ClusterResponse,
  type ClusterTransport,
} from './transport.js';

/** Elasticsearch 8.x/9.x through the official client; it answers bodies, `meta: true` adds the status. */
export class ElasticsearchTransport implements ClusterTransport {
  readonly product = 'elasticsearch' as const;
  private readonly client: Client;
  private readonly failover: FailoverPolicy;
  private readonly requestTimeoutMs: number;

  constructor(conn: ClusterConnection) {
    this.requestTimeoutMs = conn.requestTimeoutMs;
    this.failover = {
      nodes: conn.nodes.length,
      attemptTimeoutMs: conn.attemptTimeoutMs ?? conn.requestTimeoutMs,
    };
    this.client = new Client({
      nodes: conn.nodes,
      ...(conn.apiKey
        ? { auth: { apiKey: conn.apiKey } }
        : conn.username
          ? { auth: { username: conn.username, password: conn.password ?? '' } }
          : {}),
      ...(conn.ca ? { tls: { ca: conn.ca } } : {}),
      requestTimeout: conn.requestTimeoutMs,
      ...(conn.maxConnections ? { agent: { connections: conn.maxConnections } } : {}),
      // Retries are Sift's own (failover.ts on another node within the request's deadline, bulk.ts with backoff
      // for writes): the client's own loop would give each attempt the whole timeout.
      maxRetries: 0,
      // The alive/dead pool (OpenSearch's client has the same): a node that failed is left out until a ping
      // finds it back, where the default weighted pool keeps sending it a share of the requests after one
      // failure.
      ConnectionPool: ClusterConnectionPool,
    });
  }

  async request<T>(req: ClusterRequest, opts: { timeoutMs?: number } = {}): Promise<ClusterResponse<T>> {
    const params = clientParams(req);
    return sendWithFailover<T>(
      this.product,
      this.failover,
      opts.timeoutMs ?? this.requestTimeoutMs,
      req,
      (timeoutMs) => this.client.transport.request(params, { meta: true, requestTimeout: timeoutMs }),
      // The client marks a node dead when it refuses or resets, but not when it times out (short of its own
      // retryOnTimeout, which it would follow with its own retries): a hung node is dead for us too. The error
      // carries a copy of the connection; the pool's own is found by its id.
      (err) => {
        if ((err as Error).name === 'TimeoutError') this.markDead(err);
      },
    );
  }

  private markDead(err: unknown): void {
    const id = (err as { meta?: { meta?: { connection?: { id?: string } } } }).meta?.meta?.connection?.id;
    const pool = this.client.connectionPool;
    const connection = pool.connections.find((c) => c.id === id);
    if (connection) pool.markDead(connection);
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
    await this.client.close();
  }
}
