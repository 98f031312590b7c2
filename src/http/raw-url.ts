import { SiftError } from '../errors.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const ENCODED_CONTROL = /%(?:[01][0-9a-f]|7f)/i;

function decodePart(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * Refuses control characters (NUL, escape, DEL...) anywhere in the path or in a query parameter, naming the
 * parameter, before routing and validation see them; also refuses query strings that are not valid
 * percent-encoded UTF-8, which the query parser would otherwise pass on half-decoded.
 */
export function checkRawUrl(url: string): void {
  if (!url.includes('%') && !CONTROL.test(url)) return;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (ENCODED_CONTROL.test(path) || CONTROL.test(path)) {
    throw new SiftError('INVALID_REQUEST', 'the path contains a control character', { location: 'path' });
  }
  if (q === -1) return;
  for (const pair of url.slice(q + 1).split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const key = decodePart(rawKey);
    // Only an error names the parameter; the check of a valid URL builds no message.
    const name = () => JSON.stringify(key ?? rawKey).slice(0, 80);
    if (key === null)
      throw new SiftError('INVALID_REQUEST', `parameter name ${name()} is not valid percent-encoded UTF-8`, {
        location: 'querystring',
      });
    if (CONTROL.test(key))
      throw new SiftError('INVALID_REQUEST', `parameter name ${name()} contains a control character`, {
        location: 'querystring',
      });
    const value = eq === -1 ? '' : decodePart(pair.slice(eq + 1));
    if (value === null)
      throw new SiftError('INVALID_REQUEST', `parameter ${name()} is not valid percent-encoded UTF-8`, {
        field: key,
        location: 'querystring',
      });
    if (CONTROL.test(value))
      throw new SiftError('INVALID_REQUEST', `parameter ${name()} contains a control character`, {
        field: key,
        location: 'querystring',
      });
  }
}
