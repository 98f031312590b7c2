import { Client } from '@opensearch-project/opensearch';
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

/** OpenSearch 2.x/3.x through the official client; its answers come wrapped as `{ body, statusCode }`. */
export class OpenSearchTransport implements ClusterTransport {
  readonly product = 'opensearch' as const;
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
      ...(conn.username ? { auth: { username: conn.username, password: conn.password ?? '' } } : {}),
      ...(conn.apiKey ? { headers: { authorization: `ApiKey ${conn.apiKey}` } } : {}),
      ...(conn.ca ? { ssl: { ca: conn.ca } } : {}),
      requestTimeout: conn.requestTimeoutMs,
      ...(conn.maxConnections
        ? { agent: { keepAlive: true, maxSockets: conn.maxConnections, maxFreeSockets: conn.maxConnections } }
        : {}),
      // See the Elasticsearch transport: retries are Sift's own (failover.ts, and bulk.ts for writes). The pool
      // still marks a node that refused, reset or timed out as dead, so the next attempt goes to another one.
      maxRetries: 0,
    });
  }

  async request<T>(req: ClusterRequest, opts: { timeoutMs?: number } = {}): Promise<ClusterResponse<T>> {
    const params = clientParams(req);
    return sendWithFailover<T>(
      this.product,
      this.failover,
      opts.timeoutMs ?? this.requestTimeoutMs,
      req,
      (timeoutMs) => this.client.transport.request(params, { requestTimeout: timeoutMs }),
    );
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
    await this.client.close();
  }
}
