import client from 'prom-client';
import { siftMetrics } from '../../../../src/metrics/registry.js';

/** Every metric family Sift registers (its own and prom-client's default process metrics), from its own code. */
export async function siftMetricFamilies(): Promise<Set<string>> {
  siftMetrics();
  const all = await client.register.getMetricsAsJSON();
  return new Set(all.map((m) => m.name));
}
