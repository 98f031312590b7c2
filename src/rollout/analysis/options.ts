import { SiftError } from '../../errors.js';

/**
 * Checks of analysis options, done when an analysis is built (from flags or the steps file), so a typo fails the
 * command before anything is deployed, with DEPLOY_INVALID naming the option.
 */

const invalid = (what: string, problem: string, value: unknown): SiftError =>
  new SiftError('DEPLOY_INVALID', `${what} ${problem} (got ${JSON.stringify(value)})`, { option: what });

export function intOption(
  what: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
) {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max)
    throw invalid(what, `must be an integer from ${min} to ${max}`, v);
  return v;
}

export function numberOption(
  what: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
) {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw invalid(what, `must be a number from ${min} to ${max}`, v);
  return v;
}

/** An http(s) URL; credentials in it are returned apart, since fetch refuses URLs that carry them. */
export function httpUrl(what: string, value: string): { url: URL; username: string; password: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(what, 'must be an http or https URL', value);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(what, 'must be an http or https URL', value);
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { url, username, password };
}

/** A request path: starts with `/`, no scheme or host (those belong to the URL or the instance). */
export function pathOption(what: string, value: string): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || /\s/.test(value))
    throw invalid(what, 'must be a path starting with "/"', value);
  return value;
}

export function statusList(what: string, value: readonly number[]): readonly number[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((s) => !Number.isInteger(s) || s < 100 || s > 599)
  )
    throw invalid(what, 'must be a non-empty list of HTTP statuses (100-599)', value);
  return value;
}

export function nameOption(what: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(what, 'must not be empty', value);
  return value;
}

export { invalid as invalidOption };
