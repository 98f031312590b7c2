import { Client } from '@elastic/elasticsearch';
import { SiftError } from '../../errors.js';
import { checkAnswer } from './answers.js';
import {
  answerOrUnavailable,
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

  constructor(conn: ClusterConnection) {
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
      // Sift retries writes itself with backoff and answers searches with 503 at once: a client-side retry
      // loop would multiply the request timeout.
      maxRetries: 0,
    });
  }

  async request<T>(req: ClusterRequest, opts: { timeoutMs?: number } = {}): Promise<ClusterResponse<T>> {
    try {
      const res = await this.client.transport.request(clientParams(req), {
        meta: true,
        ...(opts.timeoutMs ? { requestTimeout: opts.timeoutMs } : {}),
      });
      return { status: res.statusCode ?? 200, body: res.body as T };
    } catch (err) {
      return answerOrUnavailable(this.product, err) as ClusterResponse<T>;
    }
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
