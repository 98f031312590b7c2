import { describe, expect, it } from 'vitest';
import { SiftError } from '../errors.js';
import { InputStoppedError } from './input.js';
import { parseSchema } from '../schema/validate.js';
import { readCsv, readJsonArray, readNdjson, type InputRecord } from './readers.js';

/** The text cut into chunks of `size` bytes, so elements, strings and escapes straddle chunk boundaries. */
async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(it: AsyncIterable<InputRecord>): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe('readJsonArray', () => {
  const docs = [
    { name: 'a', summary: 'quote " and backslash \\ and ] } [ {' },
    { name: 'b\\', summary: 'ends with a backslash\\' },
    { name: 'ü-ünïcode', summary: 'multi-byte 😀 characters', tags: [1, [2, { x: 3 }]] },
  ];
  const text = '\ufeff [\n' + docs.map((d) => JSON.stringify(d)).join(' ,\n') + ' ]\n';

  it('yields every element with its position, whatever the chunk size', async () => {
    for (const size of [1, 2, 3, 7, 64, 100_000]) {
      const got = await collect(readJsonArray(chunked(text, size)));
      expect(got.map((r) => r.item)).toEqual(docs);
      expect(got.map((r) => r.where)).toEqual([{ position: 0 }, { position: 1 }, { position: 2 }]);
    }
  });

  it('reports a bad element in place and reads on', async () => {
    const got = await collect(readJsonArray(chunked('[{"name":"a"}, {"name": nope}, {"name":"c"}]', 5)));
    expect(got).toHaveLength(3);
    expect(got[1]!.item).toBeInstanceOf(SiftError);
    expect((got[1]!.item as SiftError).code).toBe('INVALID_JSON');
    expect((got[1]!.item as SiftError).message).toContain('item [1]');
    expect(got[2]!.item).toEqual({ name: 'c' });
  });

  it('refuses a __proto__ key and deep nesting in an element, like the HTTP layer', async () => {
    const deep = '['.repeat(70) + ']'.repeat(70);
    const got = await collect(readJsonArray(chunked(`[{"__proto__":{"x":1}}, ${deep}, {"ok":1}]`, 8)));
    expect((got[0]!.item as SiftError).message).toContain('__proto__');
    expect((got[1]!.item as SiftError).message).toContain('nesting');
    expect(got[2]!.item).toEqual({ ok: 1 });
  });

  it('stops at a cut-off array, keeping the elements before the break', async () => {
    const it = readJsonArray(chunked('[{"name":"a"},{"name":"b"},{"name":"c', 4));
    const got: InputRecord[] = [];
    await expect(
      (async () => {
        for await (const r of it) got.push(r);
      })(),
    ).rejects.toBeInstanceOf(InputStoppedError);
    expect(got.map((r) => r.item)).toEqual([{ name: 'a' }, { name: 'b' }]);
  });

  it('takes a single document object, and an empty array', async () => {
    expect((await collect(readJsonArray(chunked(' {"name":"one"} ', 3)))).map((r) => r.item)).toEqual([
      { name: 'one' },
    ]);
    expect(await collect(readJsonArray(chunked('[ ]', 1)))).toEqual([]);
  });

  it('refuses what is neither an array nor an object', async () => {
    await expect(collect(readJsonArray(chunked('"text"', 2)))).rejects.toMatchObject({
      code: 'INVALID_JSON',
    });
    await expect(collect(readJsonArray(chunked('[1] x', 2)))).rejects.toMatchObject({ code: 'INVALID_JSON' });
  });
});

describe('readNdjson', () => {
  it('refuses a __proto__ key and deep nesting on a line, like the HTTP layer, and reads on', async () => {
    const deep = '{"a":'.repeat(70) + '1' + '}'.repeat(70);
    const got = await collect(
      readNdjson(chunked(`{"__proto__":{"polluted":true}}\n${deep}\r\n{"name":"ok"}\n`, 6)),
    );
    expect(got.map((r) => r.where)).toEqual([{ line: 1 }, { line: 2 }, { line: 3 }]);
    expect((got[0]!.item as SiftError).message).toContain('__proto__');
    expect((got[1]!.item as SiftError).message).toContain('nesting');
    expect(got[2]!.item).toEqual({ name: 'ok' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('readCsv with arrays and objects', () => {
  const schema = parseSchema({
    fields: {
      id: { type: 'keyword' },
      title: { type: 'text' },
      tags: { type: 'keyword', array: true },
      ratings: { type: 'integer', array: true },
      'author.name': { type: 'keyword' },
      'author.born': { type: 'integer' },
    },
  });

  it('reads a JSON array cell of an array field as the list, and a dotted column into a nested object', async () => {
    const csv = [
      'id,title,tags,ratings,author.name,author.born',
      'a,Guards,"[""fantasy"",""humor""]",[5],Pratchett,1948',
      'b,Guide,humor,4,Adams,',
      'c,Rings,[not json,,,',
    ].join('\n');
    const got = (await collect(readCsv(chunked(csv, 7), schema))).map((r) => r.item);
    expect(got).toEqual([
      {
        id: 'a',
        title: 'Guards',
        tags: ['fantasy', 'humor'],
        ratings: [5],
        author: { name: 'Pratchett', born: 1948 },
      },
      { id: 'b', title: 'Guide', tags: 'humor', ratings: 4, author: { name: 'Adams' } },
      { id: 'c', title: 'Rings', tags: '[not json' },
    ]);
  });
});

describe('readCsv with a vector field', () => {
  const schema = parseSchema({
    fields: { id: { type: 'keyword' }, title: { type: 'text' }, v: { type: 'vector', dimensions: 2 } },
  });

  it('reads the JSON array in a vector cell as the vector, and leaves anything else for the document check', async () => {
    const csv = ['id,title,v', 'a,One,"[0.5,-1e-3]"', 'b,Two,"0.5,1"', 'c,Three,'].join('\n');
    const got = (await collect(readCsv(chunked(csv, 5), schema))).map((r) => r.item);
    expect(got).toEqual([
      { id: 'a', title: 'One', v: [0.5, -1e-3] },
      { id: 'b', title: 'Two', v: '0.5,1' },
      { id: 'c', title: 'Three' },
    ]);
  });
});
