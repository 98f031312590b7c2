import type { Measurement } from '../types.js';

/** The detail of a measurement whose query found nothing to measure (no traffic yet): inconclusive, not healthy. */
export const NO_DATA = 'no data';

export const isNoData = (m: Measurement): boolean => !m.ok && m.value === null && m.detail === NO_DATA;

/** A failed measurement without a value: the check could not be made (unreachable, refused, aborted). */
export const unmeasured = (name: string, threshold: string, detail: string): Measurement => ({
  name,
  value: null,
  threshold,
  ok: false,
  detail,
});

/** Four significant digits: enough to compare with a threshold, short enough for a progress line. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(Number(value.toPrecision(4)));
}
