import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDEX_NAME } from '../../../src/schema/index-name.js';
import { makeTestApp, type TestApp } from '../../support/app.js';

/** The OpenAPI document served by a real listening server states what the code accepts and answers. */

interface Schema {
  type?: string;
  pattern?: string;
  format?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  [key: string]: unknown;
}
interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; schema: Schema }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<
    string,
    {
      content?: Record<string, { schema: Schema }>;
      links?: Record<string, { operationId: string; parameters: Record<string, string> }>;
    }
  >;
}
type Document = { paths: Record<string, Record<string, Operation>> };

let t: TestApp;
let doc: Document;
beforeAll(async () => {
  t = await makeTestApp();
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  doc = (await (await fetch(`${base}/openapi.json`)).json()) as Document;
});
afterAll(async () => {
  await t?.close();
});

const operations = (): [string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(
      ([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation],
    ),
  );
const op = (method: string, path: string): Operation => {
  const found = doc.paths[path]?.[method];
  if (!found) throw new Error(`${method} ${path} is not documented`);
  return found;
};
const bodySchema = (o: Operation, type = 'application/json'): Schema => o.requestBody!.content[type]!.schema;

describe('the OpenAPI document', () => {
  it('gives every index name the one pattern the code checks', () => {
    const seen: string[] = [];
    for (const [name, o] of operations()) {
      for (const p of o.parameters ?? []) {
        if (p.name !== 'index') continue;
        expect(p.schema.pattern, name).toBe(INDEX_NAME.source);
        seen.push(name);
      }
    }
    expect(seen.length).toBeGreaterThanOrEqual(12);
    const allowlist = bodySchema(op('post', '/api/keys')).properties!.indexes!;
    expect((allowlist.items as Schema).pattern).toBe(INDEX_NAME.source);
  });

  it('states what a document id is', () => {
    for (const method of ['get', 'put', 'delete']) {
      const id = op(method, '/api/indexes/{index}/documents/{id}').parameters!.find((p) => p.name === 'id')!;
      const pattern = new RegExp(id.schema.pattern!, 'u');
      expect(pattern.test('@scope/pkg-name'), method).toBe(true);
      expect(pattern.test('x'.repeat(512))).toBe(true);
      expect(pattern.test('x'.repeat(513))).toBe(false);
      expect(pattern.test('')).toBe(false);
      expect(pattern.test('a\u0000b')).toBe(false);
    }
  });

  it('requires fields in an index schema and describes each field', () => {
    const schema = bodySchema(op('put', '/api/indexes/{index}'));
    expect(schema.required).toEqual(['fields']);
    expect(schema.additionalProperties).toBe(false);
    const fields = schema.properties!.fields!;
    expect(fields.minProperties).toBe(1);
    expect((fields.additionalProperties as Schema).required).toEqual(['type']);
    expect(op('put', '/api/indexes/{index}').requestBody!.required).toBe(true);
  });

  it('marks a body required only where the route needs one', () => {
    expect(op('post', '/api/search').requestBody!.required).toBe(false);
    expect(op('post', '/api/indexes/{index}/search').requestBody!.required).toBe(false);
    expect(op('post', '/api/indexes/{index}/reindex').requestBody!.required).toBe(false);
    for (const [method, path] of [
      ['put', '/api/indexes/{index}/documents/{id}'],
      ['post', '/api/indexes/{index}/documents'],
      ['post', '/api/keys'],
      ['post', '/api/keys/scoped'],
    ] as const)
      expect(op(method, path).requestBody!.required, `${method} ${path}`).toBe(true);
  });

  it('lists the media types the batch import accepts', () => {
    const content = op('post', '/api/indexes/{index}/documents').requestBody!.content;
    expect(Object.keys(content).sort()).toEqual([
      'application/json',
      'application/ndjson',
      'application/x-ndjson',
    ]);
  });

  it('documents partial updates (merge patch or JSON; a batch as JSON or NDJSON) and the NDJSON export', () => {
    const one = op('patch', '/api/indexes/{index}/documents/{id}');
    expect(Object.keys(one.requestBody!.content).sort()).toEqual([
      'application/json',
      'application/merge-patch+json',
    ]);
    expect(bodySchema(one, 'application/merge-patch+json').type).toBe('object');
    expect(one.requestBody!.required).toBe(true);
    expect(Object.keys(one.responses)).toEqual(expect.arrayContaining(['200', '4XX']));
    const batch = op('patch', '/api/indexes/{index}/documents');
    expect(Object.keys(batch.requestBody!.content).sort()).toEqual([
      'application/json',
      'application/ndjson',
      'application/x-ndjson',
    ]);
    const exp = op('get', '/api/indexes/{index}/export');
    expect(Object.keys(exp.responses['200']!.content!)).toEqual(['application/x-ndjson']);
    expect(exp.parameters!.map((p) => p.name).sort()).toEqual(['after', 'filter', 'index']);
    expect(Object.keys(exp.responses)).toEqual(expect.arrayContaining(['4XX', '5XX']));
  });

  it('documents deletes and updates by filter with their limits', () => {
    const del = op('post', '/api/indexes/{index}/documents/delete-by-filter');
    const upd = op('post', '/api/indexes/{index}/documents/update-by-filter');
    for (const o of [del, upd]) {
      const body = bodySchema(o);
      expect(body.additionalProperties).toBe(false);
      expect(body.properties!.limit).toMatchObject({ minimum: 1, maximum: 10_000 });
      expect(body.properties!.dry_run!.type).toBe('boolean');
      expect(Object.keys(o.responses)).toEqual(expect.arrayContaining(['200', '4XX', '5XX']));
    }
    expect(bodySchema(upd).required).toEqual(['set']);
    expect(Object.keys(del.responses['200']!.content!['application/json']!.schema.properties!)).toContain(
      'deleted',
    );
  });

  it('links index creation and batch imports to the writes by filter, for stateful clients and fuzzers', () => {
    const byId = new Map([...operations()].map(([name, o]) => [o.operationId, name]));
    expect(byId.get('deleteByFilter')).toBe('POST /api/indexes/{index}/documents/delete-by-filter');
    expect(byId.get('updateByFilter')).toBe('POST /api/indexes/{index}/documents/update-by-filter');
    for (const [method, path, status] of [
      ['put', '/api/indexes/{index}', '201'],
      ['put', '/api/indexes/{index}', '200'],
      ['post', '/api/indexes/{index}/documents', '200'],
    ] as const) {
      const links = op(method, path).responses[status]!.links!;
      expect(
        Object.values(links).map((l) => [l.operationId, l.parameters]),
        `${method} ${path}`,
      ).toEqual([
        ['deleteByFilter', { index: '$request.path.index' }],
        ['updateByFilter', { index: '$request.path.index' }],
      ]);
    }
    // No route schema key of Sift's own is left in the document.
    expect(JSON.stringify(doc)).not.toContain('x-sift-');
  });

  it('documents multi-search: at most 20 searches, each checked on its own, and the federated form', () => {
    const multi = op('post', '/api/multi-search');
    const body = bodySchema(multi);
    expect(body.required).toEqual(['searches']);
    expect(body.properties!.searches).toMatchObject({ minItems: 1, maxItems: 20 });
    expect(Object.keys(body.properties!.federation!.properties!).sort()).toEqual(['limit', 'offset']);
    const answer = multi.responses['200']!.content!['application/json']!.schema;
    expect(Object.keys(answer.properties!)).toEqual(expect.arrayContaining(['results', 'hits', 'searches']));
  });

  it('gives timestamps the date-time format', () => {
    const info = op('get', '/api/indexes/{index}').responses['200']!.content!['application/json']!.schema;
    expect(info.properties!.created_at!.format).toBe('date-time');
    const key = op('get', '/api/keys/{id}').responses['200']!.content!['application/json']!.schema;
    expect(key.properties!.created_at!.format).toBe('date-time');
    expect(key.properties!.expires_at!.anyOf!.map((s) => s.format ?? s.type)).toEqual(['date-time', 'null']);
  });

  it('documents the error envelope for 4xx and 5xx on every operation', () => {
    for (const [name, o] of operations()) {
      for (const range of ['4XX', '5XX']) {
        const schema = o.responses[range]?.content?.['application/json']?.schema;
        expect(schema?.required, `${name} ${range}`).toEqual(['error']);
      }
    }
  });
});
