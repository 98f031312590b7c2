/** The page's calls to Sift's public API, with the caller's key (kept for the browser session) when one is given. */

/** The search page's key; the analytics page keeps its admin key under an item of its own. */
const KEY_ITEM = 'sift-api-key';

export function storedKey(item = KEY_ITEM): string {
  try {
    return sessionStorage.getItem(item) ?? '';
  } catch {
    return '';
  }
}

export function storeKey(key: string, item = KEY_ITEM): void {
  try {
    if (key) sessionStorage.setItem(item, key);
    else sessionStorage.removeItem(item);
  } catch {
    // Storage refused (private mode): the key lasts for this page only.
  }
}

/** An answer that was not 2xx, in Sift's error envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function headers(key: string, json: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  if (json) h['content-type'] = 'application/json';
  if (key) h.authorization = `Bearer ${key}`;
  return h;
}

/** GET or POST a JSON API route; throws ApiError for an error answer (and AbortError when aborted). */
export async function callApi<T>(
  path: string,
  key: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const res = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: headers(key, body !== undefined),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
    credentials: 'omit',
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's page): reported by status below.
  }
  if (!res.ok) {
    const error = (
      parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }
    )?.error;
    throw new ApiError(
      res.status,
      error?.code ?? `HTTP_${res.status}`,
      error?.message ?? `the server answered ${res.status}`,
      error?.details ?? {},
    );
  }
  return parsed as T;
}

/**
 * Reports a click on a result to `POST /api/events`, fire-and-forget: `keepalive` lets it finish while the page
 * moves on, and any failure (a server without analytics answers 404) is ignored.
 */
export function reportClick(
  key: string,
  event: { index: string; q: string; id: string; position: number },
): void {
  try {
    fetch('/api/events', {
      method: 'POST',
      headers: headers(key, true),
      body: JSON.stringify({ type: 'click', ...event }),
      keepalive: true,
      credentials: 'omit',
    }).catch(() => undefined);
  } catch {
    // Never let reporting break the page.
  }
}
