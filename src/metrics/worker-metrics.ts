import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import client from 'prom-client';
import { localMetrics } from './registry.js';

const REQUEST = 'sift:metrics-request';
const RESPONSE = 'sift:metrics-response';
/** Set by the primary in every worker's environment: /metrics is then answered with the pool's sum. */
export const POOL_WORKER_ENV = 'SIFT_POOL_WORKER';

interface MetricsRequest {
  type: typeof REQUEST;
  id: string;
}
interface MetricsResponse {
  type: typeof RESPONSE;
  id: string;
  text?: string;
  error?: string;
}

const inWorkerPool = (): boolean => cluster.isWorker && process.env[POOL_WORKER_ENV] === '1';

/**
 * Primary side: answers a worker's request for the pool's metrics by collecting every worker's registry over
 * IPC (prom-client's AggregatorRegistry) and summing them, so whichever worker serves /metrics reports all.
 */
export function serveWorkerPoolMetrics(): void {
  const aggregator = new client.AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: MetricsRequest) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => reply(worker, { type: RESPONSE, id: message.id, text }),
      (err: Error) => reply(worker, { type: RESPONSE, id: message.id, error: err.message }),
    );
  });
}

function reply(worker: Worker, message: MetricsResponse): void {
  if (worker.isConnected()) worker.send(message);
}

/** Worker side: lets the primary read this worker's registry (prom-client listens once constructed). */
export function joinWorkerPoolMetrics(): void {
  if (inWorkerPool()) new client.AggregatorRegistry();
}

/**
 * The metrics text /metrics answers: this process's, or in a pool worker the sum over all workers. When the
 * primary does not answer in time the local numbers are returned and flagged, rather than nothing.
 */
/**
 * `scope` is sent as the x-metrics-scope header; its value for the pool's sum stays `cluster`, as scrapers know it.
 */
export async function metricsText(timeoutMs = 5000): Promise<{ text: string; scope: 'cluster' | 'process' }> {
  if (!inWorkerPool() || !process.send) return { text: await localMetrics(), scope: 'process' };
  const id = randomUUID();
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('the primary did not answer')), timeoutMs);
      const onMessage = (message: MetricsResponse) => {
        if (message?.type !== RESPONSE || message.id !== id) return;
        done(message.error ? new Error(message.error) : null, message.text);
      };
      function done(err: Error | null, text?: string) {
        clearTimeout(timer);
        process.off('message', onMessage);
        if (err) reject(err);
        else resolve(text ?? '');
      }
      process.on('message', onMessage);
      process.send!({ type: REQUEST, id } satisfies MetricsRequest);
    });
    return { text, scope: 'cluster' };
  } catch {
    return { text: await localMetrics(), scope: 'process' };
  }
}
