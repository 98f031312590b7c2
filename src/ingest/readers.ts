import { StringDecoder } from 'node:string_decoder';
import { parse as parseCsv, type CsvError } from 'csv-parse';
import { SiftError } from '../errors.js';
import type { FieldSpec, IndexSchema } from '../schema/types.js';
import { InputStoppedError, through } from './input.js';
import { parseJsonText, parseNdjsonLine } from './json.js';

/**
 * Readers turn a byte stream into items, one at a time, so memory stays flat however large the input: an item is
 * a raw document or a SiftError for something that could not be read (reported in place; reading goes on).
 */

/** Where an item came from: a line (NDJSON, CSV) or a 0-based position in a JSON array. */
export type Where = { line: number } | { position: number };

export interface InputRecord {
  item: unknown;
  where: Where;
}

/** One JSON value per line under the shared NDJSON rules (ingest/json.ts); blank lines are skipped. */
export async function* readNdjson(bytes: AsyncIterable<Buffer>): AsyncGenerator<InputRecord> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  for await (const chunk of bytes) {
    rest += decoder.write(chunk);
    let start = 0;
    let nl: number;
    while ((nl = rest.indexOf('\n', start)) >= 0) {
      const item = parseNdjsonLine(rest.slice(start, nl), ++line);
      if (item !== undefined) yield { item, where: { line } };
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) {
    const item = parseNdjsonLine(rest, ++line);
    if (item !== undefined) yield { item, where: { line } };
  }
}

const isJsonSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * A JSON array of documents, split into its elements as the bytes arrive (each parsed on its own, so a bad
 * element is reported in place and the rest still load), or a single document object. An array that is cut
 * off stops the input there (InputStoppedError), keeping the elements before the break.
 */
export async function* readJsonArray(bytes: AsyncIterable<Buffer>): AsyncGenerator<InputRecord> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  let i = 0; // scan position in `text`
  let opened = false; // the '[' was seen
  let closed = false; // the matching ']' was seen
  let single = false; // the input is one object, not an array
  let start = -1; // where the current element begins, -1 between elements
  let depth = 0;
  let inString = false;
  let position = 0;
  const element = (end: number): InputRecord => {
    const where = { position: position++ };
    try {
      return { item: parseJsonText(text.slice(start, end), `item [${where.position}]`), where };
    } catch (err) {
      if (!(err instanceof SiftError)) throw err;
      return { item: new SiftError('INVALID_JSON', err.message, { ...err.details, ...where }), where };
    }
  };
  const bad = (what: string) =>
    new SiftError(
      'INVALID_JSON',
      `a JSON input must be an array of documents or one document object; ${what}`,
    );

  const consume = function* (final: boolean): Generator<InputRecord> {
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!opened) {
        if (isJsonSpace(c) || (c === 0xfeff && i === 0)) continue;
        if (c === 0x7b /* { */) {
          single = true;
          return;
        }
        if (c !== 0x5b /* [ */) throw bad(`it starts with ${JSON.stringify(text[i])}`);
        opened = true;
        continue;
      }
      if (closed) {
        if (!isJsonSpace(c)) throw bad(`there is text after the closing "]"`);
        continue;
      }
      if (inString) {
        // Jump to the next quote; it ends the string unless an odd number of backslashes precede it.
        const q = text.indexOf('"', i);
        if (q < 0) {
          i = text.length;
          return;
        }
        let slashes = 0;
        while (text.charCodeAt(q - 1 - slashes) === 0x5c) slashes++;
        i = q;
        if (slashes % 2 === 0) inString = false;
        continue;
      }
      if (c === 0x22 /* " */) {
        if (start < 0) start = i;
        inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        if (start < 0) start = i;
        depth++;
      } else if ((c === 0x7d || c === 0x5d) && depth > 0) {
        depth--;
      } else if (depth === 0 && (c === 0x2c /* , */ || c === 0x5d) /* ] */) {
        if (start >= 0) yield element(i);
        else if (c === 0x2c || position > 0) throw bad(`an element is missing before "${text[i]}"`);
        start = -1;
        if (c === 0x5d) closed = true;
      } else if (start < 0 && !isJsonSpace(c)) {
        start = i; // a number, true, false or null
      }
    }
    if (final || start < 0) {
      // Drop what was consumed; keep the unfinished element.
      const keep = start < 0 ? text.length : start;
      text = text.slice(keep);
      i -= keep;
      if (start >= 0) start = 0;
    }
  };

  // One iterator for both loops: leaving a for-await would close the input.
  const input = bytes[Symbol.asyncIterator]();
  for (let r = await input.next(); !r.done; r = await input.next()) {
    text += decoder.write(r.value);
    yield* consume(false);
    if (single) break;
    if (start > 0) {
      text = text.slice(start);
      i -= start;
      start = 0;
    }
  }
  if (single) {
    // One document: it is read whole (a document is small).
    for (let r = await input.next(); !r.done; r = await input.next()) text += decoder.write(r.value);
    text += decoder.end();
    yield { item: parseJsonText(text.replace(/^\ufeff/, ''), 'input'), where: { position: 0 } };
    return;
  }
  text += decoder.end();
  yield* consume(true);
  if (!opened) throw bad('it is empty');
  if (!closed) {
    throw new InputStoppedError(undefined, `the JSON array is cut off after item [${position - 1}]`);
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(['true', '1', 'yes', 'y', 't']);
const FALSE = new Set(['false', '0', 'no', 'n', 'f']);

/**
 * Converts one CSV cell to the field's type; returns undefined to omit the field (empty cell). A cell that does
 * not convert is passed on as text, so the document check reports it with the field name.
 */
export function csvValue(spec: FieldSpec | undefined, raw: string): unknown {
  if (raw === '') return undefined;
  // A cell has one value; an array field's cell may hold a JSON array (`["fantasy","humor"]`) for several.
  if (spec?.array && raw.trim().startsWith('[')) {
    try {
      const list: unknown = JSON.parse(raw);
      if (Array.isArray(list)) return list;
    } catch {
      // Not JSON: the cell is one value, checked as such.
    }
  }
  if (!spec || spec.type === 'text' || spec.type === 'keyword') return raw;
  const t = raw.trim();
  if (t === '') return undefined;
  switch (spec.type) {
    case 'integer':
    case 'float':
      return NUMBER.test(t) ? Number(t) : raw;
    case 'boolean': {
      const lower = t.toLowerCase();
      return TRUE.has(lower) ? true : FALSE.has(lower) ? false : raw;
    }
    case 'date':
      return /^-?\d+$/.test(t) ? Number(t) : t; // epoch milliseconds or ISO-8601
    case 'vector':
      // A vector is written in its cell as a JSON array; anything else is left for the document check to refuse.
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return raw;
      }
  }
}

/**
 * CSV with a header row naming the fields; cells are converted to the schema's types. Broken quoting cannot be
 * recovered from reliably, so reading stops there (InputStoppedError) after the rows before it were yielded.
 */
export async function* readCsv(
  bytes: AsyncIterable<Buffer>,
  schema: IndexSchema,
): AsyncGenerator<InputRecord> {
  let broken: { line: number | undefined; message: string; recordsBefore: number } | undefined;
  const parser = parseCsv({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
    // Rows parsed before an error in the same chunk must not be lost: note the error, stop reading there.
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined) => {
      if (err && !broken) {
        broken = {
          line: typeof err.lines === 'number' ? err.lines : undefined,
          message: err.message,
          recordsBefore: parser.info.records,
        };
      }
      return undefined;
    },
  });
  const rows = through(bytes, parser) as AsyncIterable<{ record: string[]; info: { lines: number } }>;
  const stopped = (b: NonNullable<typeof broken>) =>
    new InputStoppedError(b.line, `CSV cannot be parsed further: ${b.message}`);
  let header: string[] | undefined;
  let consumed = 0;
  for await (const { record, info } of rows) {
    if (broken && consumed >= broken.recordsBefore) throw stopped(broken);
    consumed++;
    if (!header) {
      header = record.map((h) => h.trim());
      if (header.some((h) => h === '')) {
        throw new SiftError('INVALID_REQUEST', `CSV header (line ${info.lines}) has an empty column name`);
      }
      continue;
    }
    const line = info.lines;
    if (record.length !== header.length) {
      const msg = `row has ${record.length} values but the header has ${header.length} columns`;
      yield { item: new SiftError('INVALID_DOCUMENT', msg, { line }), where: { line } };
      continue;
    }
    const doc: Record<string, unknown> = {};
    header.forEach((name, i) => {
      const spec = Object.hasOwn(schema.fields, name) ? schema.fields[name] : undefined;
      const v = csvValue(spec, record[i]!);
      if (v !== undefined) setPath(doc, name, v);
    });
    yield { item: doc, where: { line } };
  }
  if (broken) throw stopped(broken);
}

/**
 * A CSV column named by a dotted path of the schema (`author.name`) fills that member of a nested object, as a
 * JSON document would hold it; any other column keeps its name (the schema check names what it does not know).
 */
function setPath(doc: Record<string, unknown>, name: string, v: unknown): void {
  const segments = name.split('.');
  if (segments.length === 1 || segments.some((s) => s === '' || s === '__proto__')) {
    doc[name] = v;
    return;
  }
  let node = doc;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[segments.at(-1)!] = v;
}
