import { readFileSync } from 'node:fs';
/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round = (n: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** The machine's load average line, recorded beside each result. */
export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();

/** This process's CPU time so far (user + system), in µs. */
export const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
