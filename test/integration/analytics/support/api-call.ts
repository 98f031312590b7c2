import { expect } from 'vitest';

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- checked field by field
}

/**
 * JSON calls to a listening server (its URL read at each call: the server starts in a `beforeAll`), with an API
 * key when given, and `ok` that insists on a status and hands back the body.
 */
export function apiCaller(url: () => string) {
  const call = async (method: string, path: string, body?: unknown, key?: string): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key) headers['x-api-key'] = key;
    const res = await fetch(`${url()}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const ok = async (p: Promise<Answer>, status = 200) => {
    const a = await p;
    expect(a.status, JSON.stringify(a.body)).toBe(status);
    return a.body;
  };
  return { call, ok };
}
