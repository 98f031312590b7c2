import { z } from 'zod';
import { SiftError } from '../../errors.js';
import { COMPARATORS } from './comparator.js';
import type { MetricCheck } from './prometheus.js';

/**
 * A user's Prometheus check as the steps file writes it (YAML or JSON):
 *   { name: queue depth, query: 'max(queue{color="{color}"})', comparator: '<=', threshold: 100 }
 * Unknown keys are refused, so a misspelt `treshold` is an error rather than a check without a limit.
 */
const metricCheckSpec = z.strictObject({
  name: z.string().min(1),
  query: z.string().min(1),
  comparator: z.enum(COMPARATORS),
  threshold: z.number().finite(),
  unit: z.string().optional(),
  allowNoData: z.boolean().optional(),
  window: z.string().optional(),
  vars: z.record(z.string(), z.string()).optional(),
});

/** Reads one check; `where` names it in the error (`steps file, checks[2]`). Template and window are checked when built. */
export function parseMetricCheck(raw: unknown, where: string): MetricCheck {
  const parsed = metricCheckSpec.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (i) => `${i.path.length ? i.path.join('.') : '(check)'}: ${i.message}`,
  );
  throw new SiftError('DEPLOY_INVALID', `${where}: ${problems.join('; ')}`, { problems });
}
