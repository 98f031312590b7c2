import { SiftError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `90s`, `5m`, `1h`, `250ms` or bare seconds (`30`) to milliseconds; anything else is DEPLOY_INVALID. */
export function parseDuration(value: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) {
    throw new SiftError(
      'DEPLOY_INVALID',
      `${what}: "${value}" is not a duration (use e.g. 30s, 5m, 1h, 250ms)`,
    );
  }
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
}

/** Milliseconds as the shortest duration parseDuration reads back exactly: `5s`, `2m`, `1h`, `250ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
