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

/**
 * A time: epoch milliseconds, or an ISO-8601 date with an optional time and zone (UTC when none). Every value the
 * pattern admits is a time (a day past the month's end rolls over, as Date.UTC does), so the OpenAPI document
 * states the whole rule.
 */
export const TIME_PATTERN =
  '^(?:[0-9]{1,15}|[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])' +
  '(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,3})?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?)?)$';
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):(\d{2}))?)?$/;

function timeOf(value: string, name: 'from' | 'to'): number {
  if (/^[0-9]{1,15}$/.test(value)) return Number(value);
  const m = ISO.exec(value);
  if (!m)
    throw new SiftError(
      'INVALID_REQUEST',
      `${name}: expected an ISO-8601 time or epoch milliseconds, got "${value}"`,
    );
  const n = (i: number) => Number(m[i] ?? 0);
  const ms = Number((m[7] ?? '0').padEnd(3, '0'));
  const offset = m[9] ? (m[9] === '-' ? -1 : 1) * (n(10) * 60 + n(11)) * 60_000 : 0;
  // Not Date.UTC: it reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(n(1), n(2) - 1, n(3));
  date.setUTCHours(n(4), n(5), n(6), ms);
  return date.getTime() - offset;
}

/**
 * The rows a report covers. `to` defaults to now; `from` to `to` minus the window (default 24h); a window is only
 * used without `from`. A range that ends before it starts holds nothing (an empty report, not an error: whether
 * it is empty depends on the values, which a schema cannot state).
 */
export function reportRange(input: RangeInput, now: number): ReportRange {
  const to = input.to === undefined ? now : timeOf(input.to, 'to');
  // Nothing was recorded before 1970; a window reaching further back starts there (and stays a valid date).
  const from = Math.max(
    0,
    input.from === undefined ? to - windowMs(input.window ?? DEFAULT_WINDOW) : timeOf(input.from, 'from'),
  );
  return {
    ...(input.index === undefined ? {} : { index: input.index }),
    from,
    to,
    limit: input.limit ?? DEFAULT_LIMIT,
  };
}
