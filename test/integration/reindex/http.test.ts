/**
 * Zero-downtime reindex over HTTP against the real server in its own process: clients keep PUTting and DELETEing
 * documents while the index is reindexed (with a changed schema) and then rolled back, and every acknowledged
 * write must be there afterwards.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX, SCHEMA } from '../../support/app.js';
import { killQuietly, spawnServer, type Child } from '../../support/sift-process.js';
import { tempDir } from '../../support/temp-dir.js';

const dataDir = tempDir('sift-reindex-http-').path;
let server: Child | undefined;
let base = '';
const DOCS = 4000;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked field by field
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
}

/** id -> pages of every document, paged with a cursor. */
async function snapshot(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let cursor = '';
  for (;;) {
    const q = `sort=id&size=100&fields=id,pages${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await call('GET', `/api/indexes/${INDEX}/search?${q}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const h of res.body.hits as { id: string; document: { pages: number } }[])
      out.set(h.id, h.document.pages);
    if (!res.body.next_cursor) return out;
    cursor = res.body.next_cursor as string;
  }
}

/**
 * Writers over HTTP, each owning its ids so the last acknowledged state per id is known. Any answer but 200/201/204
 * stops the load and fails the test: a write refused during a reindex would be downtime.
 */
function writeLoad(ids: string[], writers = 6) {
  const expected = new Map<string, number | null>();
  let running = true;
  let failure: Error | null = null;
  let writes = 0;
  const loop = async (w: number) => {
    const mine = ids.filter((_, i) => i % writers === w);
    for (let k = 0; running; k++) {
      const v = counter++;
      let id: string;
      let res: { status: number; body: unknown };
      if (k % 3 === 0 || mine.length === 0) {
        id = `live-${w}-${k}-${v}`;
        res = await call('PUT', `/api/indexes/${INDEX}/documents/${id}`, { title: 'written live', pages: v });
        if (res.status !== 201) throw new Error(`PUT ${id}: ${res.status} ${JSON.stringify(res.body)}`);
        expected.set(id, v);
      } else {
        id = mine[(k * 7919) % mine.length]!;
        if (expected.get(id) === null) continue;
        if (k % 3 === 1) {
          res = await call('PUT', `/api/indexes/${INDEX}/documents/${id}`, {
            title: 'updated live',
            pages: v,
          });
          if (res.status !== 200) throw new Error(`PUT ${id}: ${res.status} ${JSON.stringify(res.body)}`);
          expected.set(id, v);
        } else {
          res = await call('DELETE', `/api/indexes/${INDEX}/documents/${id}`);
          if (res.status !== 204) throw new Error(`DELETE ${id}: ${res.status} ${JSON.stringify(res.body)}`);
          expected.set(id, null);
        }
      }
      writes++;
    }
  };
  const loops = Array.from({ length: writers }, (_, w) =>
    loop(w).catch((err: Error) => {
      failure ??= err;
      running = false;
    }),
  );
  return {
    expected,
    writes: () => writes,
    async stop() {
      running = false;
      await Promise.all(loops);
      if (failure) throw failure;
    },
  };
}

function expectAcknowledged(
  got: Map<string, number>,
  before: Map<string, number>,
  load: ReturnType<typeof writeLoad>,
) {
  const want = new Map(before);
  for (const [id, v] of load.expected) {
    if (v === null) want.delete(id);
    else want.set(id, v);
  }
  const wrong = [...want].filter(([id, v]) => got.get(id) !== v).map(([id]) => id);
  const extra = [...got.keys()].filter((id) => !want.has(id));
  expect({ wrong: wrong.slice(0, 10), extra: extra.slice(0, 10) }).toEqual({ wrong: [], extra: [] });
  expect(got.size).toBe(want.size);
}

/** Shared by every load, so ids and values never repeat across loads. */
let counter = 1_000_000;

describe('reindex over HTTP', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    server = await spawnServer({ DATA_DIR: dataDir, DEFAULT_INDEX: INDEX, LOG_LEVEL: 'warn' });
    base = server.url;
    expect((await call('PUT', `/api/indexes/${INDEX}`, SCHEMA)).status).toBe(201);
    const docs = Array.from({ length: DOCS }, (_, i) => ({
      id: `book-${String(i).padStart(5, '0')}`,
      title: `Book number ${i}`,
      summary: 'a book loaded before the reindex',
      pages: i,
    }));
    const res = await call('POST', `/api/indexes/${INDEX}/documents`, docs);
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
    expect(res.body.failed).toBe(0);
  });
  afterAll(() => {
    killQuietly(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses what cannot be done with a clear 4xx', async () => {
    expect((await call('POST', `/api/indexes/${INDEX}/reindex/rollback`)).body.error.code).toBe(
      'NO_PREVIOUS_VERSION',
    );
    const missing = await call('POST', '/api/indexes/no-such-index/reindex');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'INDEX_NOT_FOUND']);
    const badSchema = await call('POST', `/api/indexes/${INDEX}/reindex`, { schema: { fields: 3 } });
    expect([badSchema.status, badSchema.body.error.code]).toEqual([400, 'INVALID_SCHEMA']);
    const unknownKey = await call('POST', `/api/indexes/${INDEX}/reindex`, { schemas: {} });
    expect(unknownKey.status).toBe(400);
    const misfit = structuredClone(SCHEMA) as { fields: Record<string, Record<string, unknown>> };
    misfit.fields.summary = { type: 'integer' };
    const refused = await call('POST', `/api/indexes/${INDEX}/reindex`, { schema: misfit });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'REINDEX_INCOMPATIBLE', details: { field: 'summary' } });
    expect(refused.body.error.message).toMatch(/document "book-\d+"/);
    const info = await call('GET', `/api/indexes/${INDEX}`);
    expect(info.body).toMatchObject({ version: 1, previous_version: null, documents: DOCS });
  });

  it('reindexes with a new schema and rolls back under a steady write load, losing nothing', async () => {
    const before = await snapshot();
    expect(before.size).toBe(DOCS);
    const changed = structuredClone(SCHEMA) as { fields: Record<string, Record<string, unknown>> };
    changed.fields.pages = { type: 'float', facet: true, sortable: true }; // a type change
    changed.fields.isbn = { type: 'keyword', filterable: true }; // a new field

    let load = writeLoad([...before.keys()]);
    await sleep(200);
    // Two at once: one runs, the other is refused.
    const both = [
      call('POST', `/api/indexes/${INDEX}/reindex`, { schema: changed }),
      call('POST', `/api/indexes/${INDEX}/reindex`, { schema: changed }),
    ];
    // Searches keep answering while it runs.
    expect((await call('GET', `/api/indexes/${INDEX}/search?q=book&size=1`)).status).toBe(200);
    const answers = await Promise.all(both);
    const done = answers.find((a) => a.status === 200)!;
    const refused = answers.find((a) => a.status !== 200);
    expect([refused?.status, refused?.body.error?.code]).toEqual([409, 'REINDEX_IN_PROGRESS']);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ index: INDEX, from_version: 1, to_version: 2 });
    await sleep(200);
    await load.stop();
    const duringReindex = load.writes();
    expect(duringReindex).toBeGreaterThan(50);
    const afterReindex = await snapshot();
    expectAcknowledged(afterReindex, before, load);
    const info = (await call('GET', `/api/indexes/${INDEX}`)).body;
    expect(info).toMatchObject({ version: 2, previous_version: 1, documents: afterReindex.size });
    expect(info.schema.fields.pages.type).toBe('float');
    expect((await call('PUT', `/api/indexes/${INDEX}/documents/with-isbn`, { isbn: '978-0' })).status).toBe(
      201,
    );
    afterReindex.set('with-isbn', undefined as unknown as number);
    expect((await call('DELETE', `/api/indexes/${INDEX}/documents/with-isbn`)).status).toBe(204);
    afterReindex.delete('with-isbn');

    load = writeLoad([...afterReindex.keys()]);
    await sleep(200);
    const rollback = await call('POST', `/api/indexes/${INDEX}/reindex/rollback`);
    expect(rollback.status, JSON.stringify(rollback.body)).toBe(200);
    expect(rollback.body).toMatchObject({ from_version: 2, to_version: 1 });
    await sleep(200);
    await load.stop();
    expectAcknowledged(await snapshot(), afterReindex, load);
    const back = (await call('GET', `/api/indexes/${INDEX}`)).body;
    expect(back).toMatchObject({ version: 1, previous_version: 2 });
    expect(back.schema.fields.pages.type).toBe('integer');

    console.log(
      `reindex of ${before.size} documents under load: ${done.body.took_ms} ms, ${duringReindex} writes ` +
        `acknowledged meanwhile; rollback: ${rollback.body.took_ms} ms, ${load.writes()} writes; none lost`,
    );
  });
});
