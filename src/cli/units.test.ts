import { describe, expect, it } from 'vitest';
import { formatFromPath, sniffFormat } from '../ingest/input.js';
import { csvValue, readCsv, readNdjson } from '../ingest/readers.js';
import { fitWidths, formatDuration, formatNumber, humanBytes, truncate } from './format.js';
import type { FieldSpec, IndexSchema } from '../schema/types.js';
import { fieldSpec } from '../../test/support/schema.js';

const spec = (type: FieldSpec['type']) => fieldSpec(type, { filterable: true });

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('import helpers', () => {
  it('guesses the format from the file name, ignoring .gz', () => {
    expect(formatFromPath('a.json')).toBe('json');
    expect(formatFromPath('a.NDJSON')).toBe('ndjson');
    expect(formatFromPath('dir.v2/a.jsonl.gz')).toBe('ndjson');
    expect(formatFromPath('a.csv.gz')).toBe('csv');
    expect(formatFromPath('a.txt')).toBeUndefined();
  });

  it('sniffs the format from the first significant byte', () => {
    expect(sniffFormat(Buffer.from('\ufeff  \n[{}]'))).toBe('json');
    expect(sniffFormat(Buffer.from('\n{"a":1}'))).toBe('ndjson');
    expect(sniffFormat(Buffer.from('name,version'))).toBe('csv');
  });

  it('converts CSV cells to the field type, omitting empty cells and passing bad ones on', () => {
    expect(csvValue(spec('integer'), '42')).toBe(42);
    expect(csvValue(spec('float'), ' -1.5e3 ')).toBe(-1500);
    expect(csvValue(spec('integer'), 'lots')).toBe('lots');
    expect(csvValue(spec('integer'), '')).toBeUndefined();
    expect(csvValue(spec('integer'), '  ')).toBeUndefined();
    expect(csvValue(spec('boolean'), 'TRUE')).toBe(true);
    expect(csvValue(spec('boolean'), '0')).toBe(false);
    expect(csvValue(spec('boolean'), 'maybe')).toBe('maybe');
    expect(csvValue(spec('date'), '1700000000000')).toBe(1700000000000);
    expect(csvValue(spec('date'), '2024-01-02')).toBe('2024-01-02');
    expect(csvValue(spec('keyword'), ' 007 ')).toBe(' 007 ');
    expect(csvValue(undefined, 'x')).toBe('x');
  });

  it('splits NDJSON across chunk boundaries (multi-byte characters included) and numbers lines', async () => {
    const euro = Buffer.from('{"a":"€"}\n');
    async function* split(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\r\n\n{"a"');
      yield Buffer.from(':2}\nnot json\n');
      yield euro.subarray(0, 7); // cuts the euro sign in two
      yield euro.subarray(7);
      yield Buffer.from('{"a":4}');
    }
    const recs = await collect(readNdjson(split()));
    expect(recs.map((r) => r.where)).toEqual([
      { line: 1 },
      { line: 3 },
      { line: 4 },
      { line: 5 },
      { line: 6 },
    ]);
    expect(recs[0]?.item).toEqual({ a: 1 });
    expect(recs[1]?.item).toEqual({ a: 2 });
    expect(recs[2]?.item).toBeInstanceOf(Error);
    expect(recs[3]?.item).toEqual({ a: '€' });
    expect(recs[4]?.item).toEqual({ a: 4 });
  });

  it('reads CSV rows into typed documents with their line numbers', async () => {
    const schema: IndexSchema = {
      id_field: 'id',
      fields: { id: spec('keyword'), n: spec('integer'), ok: spec('boolean') },
      ranking: {},
    };
    const recs = await collect(readCsv(chunks('id,n,ok\n', 'a,1,yes\n\nb,,no\nc,"2",'), schema));
    expect(recs).toEqual([
      { item: { id: 'a', n: 1, ok: true }, where: { line: 2 } },
      { item: { id: 'b', ok: false }, where: { line: 4 } },
      { item: { id: 'c', n: 2 }, where: { line: 5 } },
    ]);
  });
});

describe('format helpers', () => {
  it('formats sizes, numbers and durations', () => {
    expect(humanBytes(null)).toBe('-');
    expect(humanBytes(512)).toBe('512 B');
    expect(humanBytes(1536)).toBe('1.5 KB');
    expect(humanBytes(20 * 1024 * 1024)).toBe('20 MB');
    expect(formatNumber(1234567.891)).toBe('1,234,567.89');
    expect(formatDuration(0.25)).toBe('250 ms');
    expect(formatDuration(12.34)).toBe('12.3 s');
    expect(formatDuration(245)).toBe('4m 05s');
  });

  it('truncates with an ellipsis and fits column widths', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    const widths = fitWidths([5, 40, 60], 80);
    expect(widths.reduce((a, b) => a + b, 0) + 4).toBe(80);
    expect(widths[0]).toBe(5);
  });
});
