import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FILTER_CONDITIONS } from '../../../src/query/filter-normalize.js';
import { MAX_TREE_DEPTH, MAX_TREE_NODES } from '../../../src/query/filter-tree.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { DOCS, INDEX, SCHEMA, testConfig } from '../../support/app.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * Signed cursors and the largest legal filters, against real listening servers on one data directory: two with
 * the same CURSOR_SECRET (replicas), one mid-rotation, one with an unrelated secret.
 */
const SECRET = 'the-cursor-secret-of-this-test-0123456789';
const NEXT_SECRET = 'the-rotated-cursor-secret-0123456789abcdef';
const OTHER = `${INDEX}-copy`;

let dataDir: string;
let a: RunningServer;
let replica: RunningServer;
let rotated: RunningServer;
let stranger: RunningServer;

beforeAll(async () => {
  dataDir = tempDir().path;
  const start = (env: Record<string, string>) =>
    startServer(testConfig(dataDir, env), { handleSignals: false, loadSample: false });
  a = await start({ CURSOR_SECRET: SECRET });
  for (const index of [INDEX, OTHER]) {
    await a.service.putIndex(index, SCHEMA);
    expect((await a.service.importDocuments(index, DOCS)).failed).toBe(0);
  }
  replica = await start({ CURSOR_SECRET: SECRET });
  rotated = await start({ CURSOR_SECRET: NEXT_SECRET, CURSOR_SECRET_PREVIOUS: SECRET });
  stranger = await start({ CURSOR_SECRET: NEXT_SECRET });
});
afterAll(async () => {
  for (const s of [a, replica, rotated, stranger]) await s?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = any;
async function get(
  server: RunningServer,
  path: string,
): Promise<{ status: number; body: Body; id: string | null }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: await res.json(), id: res.headers.get('x-request-id') };
}
async function post(server: RunningServer, path: string, payload: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as Body, id: res.headers.get('x-request-id') };
}
const search = (index: string, qs: string) => `/api/indexes/${index}/search?${qs}`;

async function firstCursor(server: RunningServer, index = INDEX): Promise<string> {
  const res = await get(server, search(index, 'sort=pages&size=2'));
  expect(res.status).toBe(200);
  expect(res.body.next_cursor).toEqual(expect.any(String));
  return res.body.next_cursor as string;
}

function expectInvalidCursor(res: { status: number; body: Body; id: string | null }, message?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(res.body.error.code).toBe('INVALID_CURSOR');
  if (message) expect(res.body.error.message).toContain(message);
  expect(res.id).toBeTruthy();
}

/** The cursor with its position replaced and the signature kept, the way a client would edit it. */
function withPosition(cursor: string, values: unknown[]): string {
  const [payload, mac] = cursor.split('.') as [string, string | undefined];
  const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { a: { values: unknown[] } };
  body.a.values = values;
  const edited = Buffer.from(JSON.stringify(body)).toString('base64url');
  // An unsigned cursor (as Sift once issued) is edited the same way: only the position changes.
  return mac === undefined ? edited : `${edited}.${mac}`;
}

describe('cursors are signed and bound to their index', () => {
  it('pages with its own cursor, on every replica sharing the secret', async () => {
    const cursor = await firstCursor(a);
    for (const server of [a, replica]) {
      const next = await get(server, search(INDEX, `sort=pages&size=2&cursor=${encodeURIComponent(cursor)}`));
      expect(next.status).toBe(200);
      expect(next.body.hits).toHaveLength(2);
    }
  });

  it.each([[['abc']], [[null]], [[-1e308]], [['256']]])('refuses an edited position %j', async (values) => {
    const cursor = withPosition(await firstCursor(a), values);
    expectInvalidCursor(
      await get(a, search(INDEX, `sort=pages&size=2&cursor=${encodeURIComponent(cursor)}`)),
      'not one Sift issued',
    );
  });

  it('refuses a cursor from index A on index B, for the same query', async () => {
    const cursor = await firstCursor(a, INDEX);
    expectInvalidCursor(
      await get(a, search(OTHER, `sort=pages&size=2&cursor=${encodeURIComponent(cursor)}`)),
      'another index',
    );
    expectInvalidCursor(await post(a, `/api/indexes/${OTHER}/search`, { sort: 'pages', size: 2, cursor }));
  });

  it('keeps in-flight paging working through a key rotation, and refuses cursors of unknown keys', async () => {
    const issuedBefore = await firstCursor(a);
    const qs = `sort=pages&size=2&cursor=${encodeURIComponent(issuedBefore)}`;
    expect((await get(rotated, search(INDEX, qs))).status).toBe(200);
    expectInvalidCursor(await get(stranger, search(INDEX, qs)), 'not one Sift issued');
    const issuedAfter = await firstCursor(rotated);
    const after = `sort=pages&size=2&cursor=${encodeURIComponent(issuedAfter)}`;
    expect((await get(stranger, search(INDEX, after))).status).toBe(200);
    expectInvalidCursor(await get(a, search(INDEX, after)));
  });
});

describe('the largest legal filters are answered on the embedded engine', () => {
  const ids = (body: Body) => (body.hits as { id: string }[]).map((h) => h.id);
  const byPages = [...DOCS].sort((x, y) => x.pages - y.pages || (x.id < y.id ? -1 : 1));

  it(`answers 200 to an OR of ${MAX_TREE_NODES - 1} equalities (the widest tree)`, async () => {
    const wanted = new Set(
      DOCS.filter((d) => d.author === 'Herbert' || d.author === 'Tolkien').map((d) => d.pages),
    );
    const values = [...wanted, ...Array.from({ length: MAX_TREE_NODES }, (_, i) => 10_000 + i)];
    const filter = { or: values.slice(0, MAX_TREE_NODES - 1).map((pages) => ({ term: { pages } })) };
    const res = await post(a, `/api/indexes/${INDEX}/search`, { filter, sort: 'pages', size: 50 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(ids(res.body)).toEqual(byPages.filter((d) => wanted.has(d.pages)).map((d) => d.id));
  });

  it(`answers 200 to ${MAX_FILTER_CONDITIONS} distinct conditions and 400 INVALID_FILTER to one more`, async () => {
    const ranges = Array.from({ length: MAX_FILTER_CONDITIONS }, (_, i) => ({
      range: { pages: { gte: 1000 + i * 10, lt: 1005 + i * 10 } },
    }));
    ranges[0] = { range: { pages: { gte: 400, lt: 500 } } };
    const ok = await post(a, `/api/indexes/${INDEX}/search`, {
      filter: { or: ranges },
      sort: 'pages',
      size: 50,
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ids(ok.body)).toEqual(byPages.filter((d) => d.pages >= 400 && d.pages < 500).map((d) => d.id));
    const tooMany = await post(a, `/api/indexes/${INDEX}/search`, {
      filter: { or: [...ranges, { exists: { field: 'rating' } }] },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('INVALID_FILTER');
    expect(tooMany.body.error.message).toContain(`at most ${MAX_FILTER_CONDITIONS}`);
  });

  it(`answers 200 to a tree ${MAX_TREE_DEPTH} levels deep`, async () => {
    let filter: Record<string, unknown> = { term: { author: 'Austen' } };
    for (let level = MAX_TREE_DEPTH - 1; level >= 0; level--) {
      filter =
        level % 3 === 2
          ? { not: filter }
          : { [level % 3 ? 'or' : 'and']: [filter, { range: { pages: { gte: 1 } } }] };
    }
    const res = await post(a, `/api/indexes/${INDEX}/search`, { filter, size: 50 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});
