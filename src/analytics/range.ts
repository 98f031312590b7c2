import { SiftError } from '../errors.js';
import type { ReportRange } from './types.js';

/** A window: a count and a unit, minutes to weeks (`30m`, `24h`, `7d`, `2w`). */
export const WINDOW_PATTERN = '^[1-9][0-9]{0,5}[mhdw]$';
export const DEFAULT_WINDOW = '24h';
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export interface RangeInput {
  index?: string;
  from?: string;
  to?: string;
  window?: string;
  limit?: number;
}

export function windowMs(window: string): number {
  if (!new RegExp(WINDOW_PATTERN).test(window))
    throw new SiftError(
      'INVALID_REQUEST',
      `window: expected a duration like 30m, 24h, 7d or 2w, got "${window}"`,
    );
  return Number(window.slice(0, -1)) * UNIT_MS[window.slice(-1)]!;
}

/** An ISO-8601 time or epoch milliseconds. */
function timeOf(value: string, name: 'from' | 'to'): number {
  const ms = /^[0-9]{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new SiftError(
      'INVALID_REQUEST',
      `${name}: expected an ISO-8601 time or epoch milliseconds, got "${value}"`,
    );
  return ms;
}

/**
 * The rows a report covers. `to` defaults to now; `from` to `to` minus the window (default 24h); giving both
 * `from` and `window` is refused, as they would disagree.
 */
export function reportRange(input: RangeInput, now: number): ReportRange {
  if (input.from !== undefined && input.window !== undefined)
    throw new SiftError('INVALID_REQUEST', 'give from or window, not both');
  const to = input.to === undefined ? now : timeOf(input.to, 'to');
  // Nothing was recorded before 1970; a window reaching further back starts there (and stays a valid date).
  const from = Math.max(
    0,
    input.from === undefined ? to - windowMs(input.window ?? DEFAULT_WINDOW) : timeOf(input.from, 'from'),
  );
  if (from >= to) throw new SiftError('INVALID_REQUEST', 'from must be before to');
  return {
    ...(input.index === undefined ? {} : { index: input.index }),
    from,
    to,
    limit: input.limit ?? DEFAULT_LIMIT,
  };
}
