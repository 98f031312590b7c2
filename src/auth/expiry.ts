import { SiftError } from '../errors.js';

const DURATION = /^(\d{1,6})\s*(s|m|h|d|w)$/i;

/**
 * What parseExpiry reads, as a JSON Schema pattern (request validation and the OpenAPI document): a duration, or a
 * day with an optional time and zone that Date.parse reads as ISO-8601. ASCII classes only, so that every engine
 * that reads the pattern agrees on it.
 */
export const EXPIRY_PATTERN =
  '^(?:[0-9]{1,6}[smhdwSMHDW]|[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])' +
  '(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,3})?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?)?)$';
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * An expiry as people write it: a duration from now (`90m`, `8h`, `30d`, `2w`) or an ISO-8601 date/time.
 * Returns epoch milliseconds; refuses anything unparseable or not in the future, naming the field.
 */
export function parseExpiry(input: string, field: string, now = Date.now()): number {
  const text = input.trim();
  const m = DURATION.exec(text);
  let at: number;
  if (m) at = now + Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
  else if (/^\d{4}-\d{2}-\d{2}/.test(text)) at = Date.parse(text);
  else at = Number.NaN;
  if (!Number.isFinite(at))
    throw new SiftError(
      'INVALID_REQUEST',
      `${field}: expected a duration like 8h, 30d or 2w, or an ISO-8601 date, got ${JSON.stringify(input).slice(0, 60)}`,
      { field },
    );
  if (at <= now) throw new SiftError('INVALID_REQUEST', `${field}: must be in the future`, { field });
  return at;
}
