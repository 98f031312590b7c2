import { createReadStream, fstatSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { SingleBar } from 'cli-progress';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parse as parseCsv, type CsvError } from 'csv-parse';
import { SiftError, isSiftError } from '../../errors.js';
import type { FieldSpec, IndexSchema } from '../../schema/types.js';
import type { SearchService } from '../../service/search-service.js';
import { colors, formatDuration, formatNumber } from '../format.js';
import type { CliContext } from '../main.js';
import { readRawSchema } from './index.js';

export const FORMATS = ['json', 'ndjson', 'csv'] as const;
export type ImportFormat = (typeof FORMATS)[number];

/** Where an item came from: a line (NDJSON, CSV) or a 0-based position in a JSON array. */
export type Where = { line: number } | { position: number };

/** One item read from the input: a raw document, or a SiftError for something that could not be read. */
export interface InputRecord {
  item: unknown;
  where: Where;
}

export interface ImportFailure {
  line?: number;
  position?: number;
  id: string | null;
  code: string;
  message: string;
}

export interface ImportSummary {
  index: string;
  source: string;
  format: ImportFormat;
  gzip: boolean;
  indexed: number;
  created: number;
  updated: number;
  failed: number;
  seconds: number;
  docs_per_second: number;
  /** The first failures (at most MAX_REPORTED_FAILURES), in input order within each batch. */
  failures: ImportFailure[];
  /** Set when reading stopped early because the input could not be parsed any further (broken CSV quoting). */
  stopped_at?: ImportFailure;
}

export const MAX_REPORTED_FAILURES = 10;
const MAX_BATCH = 100_000;

interface ImportOptions {
  index: string;
  format?: ImportFormat;
  schema?: string;
  batch: number;
  json?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Input: bytes, gzip, format detection

/** Format from a file name, ignoring a trailing .gz: .json, .ndjson/.jsonl, .csv; undefined when unknown. */
export function formatFromPath(path: string): ImportFormat | undefined {
  const base = path.toLowerCase().replace(/\.gz$/, '');
  switch (extname(base)) {
    case '.json':
      return 'json';
    case '.ndjson':
    case '.jsonl':
      return 'ndjson';
    case '.csv':
      return 'csv';
    default:
      return undefined;
  }
}

const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** The first byte that is neither whitespace nor part of a UTF-8 byte order mark, or undefined. */
function firstSignificantByte(head: Buffer): number | undefined {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && isSpace(head[i]!)) i++;
  return head[i];
}

/** Guesses the format from the first significant byte: "[" a JSON array, "{" NDJSON, anything else CSV. */
export function sniffFormat(head: Buffer): ImportFormat {
  const b = firstSignificantByte(head);
  if (b === 0x5b) return 'json';
  if (b === 0x7b) return 'ndjson';
  return 'csv';
}

/** An async byte stream whose beginning can be looked at before it is consumed. */
class PeekableBytes implements AsyncIterable<Buffer> {
  private readonly head: Buffer[] = [];
  private ended = false;

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  static of(source: AsyncIterable<Buffer>): PeekableBytes {
    return new PeekableBytes(source[Symbol.asyncIterator]());
  }

  /** Reads chunks until `enough(head)` or the end, and returns everything read so far (still unconsumed). */
  async peek(enough: (head: Buffer) => boolean): Promise<Buffer> {
    let head = Buffer.concat(this.head);
    while (!this.ended && !enough(head)) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      this.head.push(r.value);
      head = Buffer.concat(this.head);
    }
    return head;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    while (this.head.length) yield this.head.shift()!;
    if (this.ended) return;
    for (;;) {
      const r = await this.it.next();
      if (r.done) return;
      yield r.value;
    }
  }
}

async function* countBytes(stream: Readable, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    onBytes(buf.length);
    yield buf;
  }
}

/** Pipes bytes through a transform and iterates its output; errors on either side surface in the iteration. */
function through(
  source: AsyncIterable<Buffer>,
  transform: NodeJS.ReadWriteStream & Readable,
): AsyncIterable<Buffer> {
  pipeline(Readable.from(source, { objectMode: false }), transform, () => {
    // Errors reach the consumer through the transform's iterator; nothing to do here.
  });
  return transform as AsyncIterable<Buffer>;
}

/** Gunzipped bytes; a corrupt or truncated stream stops the input where it broke (what came before is kept). */
async function* gunzipped(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* through(source, createGunzip());
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new InputStoppedError(
        undefined,
        `the gzip input is corrupt or truncated: ${(err as Error).message}`,
      );
    }
    throw err;
  }
}

export interface OpenedInput {
  bytes: AsyncIterable<Buffer>;
  format: ImportFormat;
  gzip: boolean;
  /** Size of the file on disk (compressed size for gzip), when known. */
  totalBytes: number | null;
}

/**
 * Opens a file (or stdin for "-"), gunzips it when it starts with the gzip magic bytes (a `.gz` file or piped
 * gzip), and settles the format: --format, else the file extension, else the first significant byte.
 */
export async function openInput(
  source: string,
  format: ImportFormat | undefined,
  onBytes: (n: number) => void,
): Promise<OpenedInput> {
  let stream: Readable;
  let totalBytes: number | null = null;
  if (source === '-') {
    stream = process.stdin;
    try {
      const st = fstatSync(0);
      if (st.isFile()) totalBytes = st.size; // `sift import - < file`
    } catch {
      // not a file descriptor we can stat; the size stays unknown
    }
  } else {
    const st = statSync(source); // throws ENOENT with the path in the message
    if (!st.isFile()) throw new SiftError('INVALID_REQUEST', `"${source}" is not a file`);
    totalBytes = st.size;
    // Small reads keep the progress (bytes read) close to what was processed, gzip included.
    stream = createReadStream(source, { highWaterMark: 64 * 1024 });
  }
  let bytes = PeekableBytes.of(countBytes(stream, onBytes));
  const magic = await bytes.peek((h) => h.length >= 2);
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  if (gzip) bytes = PeekableBytes.of(gunzipped(bytes));
  let chosen = format ?? (source === '-' ? undefined : formatFromPath(source));
  if (!chosen) {
    const head = await bytes.peek((h) => firstSignificantByte(h) !== undefined);
    chosen = sniffFormat(head);
  }
  return { bytes, format: chosen, gzip, totalBytes };
}

// ---------------------------------------------------------------------------------------------------------------
// Readers: NDJSON, JSON array, CSV

function parseJsonLine(text: string, line: number): InputRecord | null {
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return null;
  try {
    return { item: JSON.parse(text), where: { line } };
  } catch (err) {
    return {
      item: new SiftError('INVALID_JSON', `not valid JSON: ${(err as Error).message}`, { line }),
      where: { line },
    };
  }
}

/** One JSON value per line; blank lines are skipped; a line that is not JSON is reported and reading goes on. */
export async function* readNdjson(bytes: AsyncIterable<Buffer>): AsyncGenerator<InputRecord> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  for await (const chunk of bytes) {
    rest += decoder.write(chunk);
    let start = 0;
    let nl: number;
    while ((nl = rest.indexOf('\n', start)) >= 0) {
      const rec = parseJsonLine(rest.slice(start, nl), ++line);
      if (rec) yield rec;
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) {
    const rec = parseJsonLine(rest, ++line);
    if (rec) yield rec;
  }
}

/** A JSON array of documents (read whole), or a single document object. */
export async function* readJsonArray(bytes: AsyncIterable<Buffer>): AsyncGenerator<InputRecord> {
  const chunks: Buffer[] = [];
  for await (const chunk of bytes) chunks.push(chunk);
  let text = Buffer.concat(chunks).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SiftError('INVALID_JSON', `input is not valid JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(value)) {
    for (let position = 0; position < value.length; position++)
      yield { item: value[position], where: { position } };
  } else if (typeof value === 'object' && value !== null) {
    yield { item: value, where: { position: 0 } };
  } else {
    throw new SiftError('INVALID_JSON', 'a JSON input must be an array of documents or one document object');
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
  }
}

/** Thrown by the CSV reader when the file cannot be parsed past some line (broken quoting). */
export class InputStoppedError extends Error {
  constructor(
    readonly line: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'InputStoppedError';
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
      if (v !== undefined) doc[name] = v;
    });
    yield { item: doc, where: { line } };
  }
  if (broken) throw stopped(broken);
}

// ---------------------------------------------------------------------------------------------------------------
// Progress

interface Progress {
  bytes(total: number): void;
  docs(processed: number, rate: number): void;
  stop(): void;
}

function progressBar(ctx: CliContext, totalBytes: number | null): Progress | null {
  if (!ctx.stderr.isTTY) return null;
  const known = totalBytes !== null && totalBytes > 0;
  const bar = new SingleBar({
    stream: ctx.stderr,
    format: known
      ? '{bar} {percentage}% | {docs} docs | {rate} docs/s | ETA {eta_formatted}'
      : '{docs} docs | {rate} docs/s | {duration_formatted}',
    barsize: 30,
    hideCursor: true,
    fps: 10,
    etaBuffer: 50,
  });
  bar.start(known ? totalBytes : 1, 0, { docs: '0', rate: '0' });
  let payload = { docs: '0', rate: '0' };
  // Ctrl-C during the import: give the terminal its cursor back; batches already written stay stored.
  const onSigint = () => {
    bar.stop();
    ctx.stderr.write('interrupted; documents of completed batches are stored\n');
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  return {
    bytes(total) {
      if (known) bar.update(Math.min(total, totalBytes), payload);
    },
    docs(processed, rate) {
      payload = { docs: formatNumber(processed), rate: formatNumber(Math.round(rate)) };
      bar.update(payload);
    },
    stop() {
      process.off('SIGINT', onSigint);
      bar.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The command

async function ensureIndex(
  ctx: CliContext,
  service: SearchService,
  index: string,
  schemaPath: string | undefined,
) {
  try {
    return await service.schemaOf(index);
  } catch (err) {
    if (!isSiftError(err) || err.code !== 'INDEX_NOT_FOUND') throw err;
    if (!schemaPath) {
      throw new SiftError(
        'INDEX_NOT_FOUND',
        `index "${index}" does not exist; pass --schema <file> to create it, or run "sift index create ${index} --schema <file>"`,
        { index },
      );
    }
    await service.putIndex(index, readRawSchema(schemaPath));
    ctx.stderr.write(`created index "${index}" from ${schemaPath}\n`);
    return service.schemaOf(index);
  }
}

function whereText(f: { line?: number; position?: number }): string {
  if (f.line !== undefined) return `line ${f.line}`;
  if (f.position !== undefined) return `item [${f.position}]`;
  return 'input';
}

export async function runImport(
  ctx: CliContext,
  service: SearchService,
  source: string,
  opts: ImportOptions,
): Promise<ImportSummary> {
  const started = performance.now();
  let bytesRead = 0;
  let progress: Progress | null = null;
  const input = await openInput(source, opts.format, (n) => {
    bytesRead += n;
    progress?.bytes(bytesRead);
  }).catch((err: unknown) => {
    throw err instanceof InputStoppedError ? new SiftError('INVALID_REQUEST', err.message) : err;
  });
  const schema = await ensureIndex(ctx, service, opts.index, opts.schema);
  if (source === '-' && process.stdin.isTTY)
    ctx.stderr.write('reading documents from stdin (end with Ctrl-D)...\n');

  const records =
    input.format === 'ndjson'
      ? readNdjson(input.bytes)
      : input.format === 'json'
        ? readJsonArray(input.bytes)
        : readCsv(input.bytes, schema);

  const summary: ImportSummary = {
    index: opts.index,
    source: source === '-' ? 'stdin' : source,
    format: input.format,
    gzip: input.gzip,
    indexed: 0,
    created: 0,
    updated: 0,
    failed: 0,
    seconds: 0,
    docs_per_second: 0,
    failures: [],
  };
  const elapsed = () => (performance.now() - started) / 1000;
  const note = (f: ImportFailure) => {
    summary.failed++;
    if (summary.failures.length < MAX_REPORTED_FAILURES) summary.failures.push(f);
  };

  let items: unknown[] = [];
  let wheres: Where[] = [];
  const flush = async () => {
    if (items.length === 0) return;
    const result = await service.importDocuments(opts.index, items);
    for (const r of result.items) {
      if (r.error) note({ ...wheres[r.index], id: r.id, code: r.error.code, message: r.error.message });
      else if (r.result === 'created') summary.created++;
      else summary.updated++;
    }
    summary.indexed += result.indexed;
    items = [];
    wheres = [];
    const processed = summary.indexed + summary.failed;
    progress?.docs(processed, processed / Math.max(elapsed(), 1e-3));
  };

  progress = progressBar(ctx, input.totalBytes);
  try {
    for await (const rec of records) {
      items.push(rec.item);
      wheres.push(rec.where);
      if (items.length >= opts.batch) await flush();
    }
    await flush();
  } catch (err) {
    if (!(err instanceof InputStoppedError)) throw err;
    // Store what was read before the break, then report where reading stopped.
    await flush();
    const stop: ImportFailure = {
      ...(err.line !== undefined ? { line: err.line } : {}),
      id: null,
      code: 'INVALID_REQUEST',
      message: err.message,
    };
    summary.stopped_at = stop;
    note(stop);
  } finally {
    progress?.stop();
  }
  summary.seconds = Math.round(elapsed() * 1000) / 1000;
  summary.docs_per_second = Math.round((summary.indexed + summary.failed) / Math.max(summary.seconds, 1e-3));
  return summary;
}

export function printSummary(ctx: CliContext, s: ImportSummary): void {
  const c = colors(ctx.stdout);
  const out = (line = '') => ctx.stdout.write(line + '\n');
  const failed = s.failed > 0 ? c.red(`${formatNumber(s.failed)} failed`) : '0 failed';
  out(
    `index "${s.index}": ${c.bold(`${formatNumber(s.indexed)} indexed`)} (${formatNumber(s.created)} created, ` +
      `${formatNumber(s.updated)} updated), ${failed} in ${formatDuration(s.seconds)}, ` +
      `${formatNumber(s.docs_per_second)} docs/s [${s.format}${s.gzip ? ', gzip' : ''}]`,
  );
  if (s.stopped_at) out(c.red(`stopped reading at ${whereText(s.stopped_at)}: ${s.stopped_at.message}`));
  // The stop is already reported above; list the document failures.
  const listed = s.failures.filter((f) => f !== s.stopped_at);
  if (listed.length > 0) {
    const total = s.failed - (s.stopped_at ? 1 : 0);
    out(total > listed.length ? `first ${listed.length} of ${formatNumber(total)} failures:` : 'failures:');
    for (const f of listed) {
      const id = f.id !== null ? ` (id ${JSON.stringify(f.id)})` : '';
      out(`  ${whereText(f)}${id}: ${c.red(f.code)} ${f.message}`);
    }
  }
}

function parseBatch(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_BATCH)
    throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_BATCH}`);
  return n;
}

export function registerImportCommand(program: Command, ctx: CliContext): void {
  program
    .command('import')
    .description(
      'import documents from a JSON array, NDJSON or CSV file (optionally gzipped), or "-" for stdin',
    )
    .argument('<file>', 'input file, or - for stdin')
    .requiredOption('-i, --index <name>', 'target index')
    .addOption(
      new Option(
        '-f, --format <format>',
        'input format (default: from the extension or the content)',
      ).choices(FORMATS),
    )
    .option('-s, --schema <file>', 'YAML/JSON schema to create the index with when it does not exist')
    .option('-b, --batch <n>', 'documents per batch', parseBatch, 5000)
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: ImportOptions) => {
      const summary = await ctx.withService((service) => runImport(ctx, service, file, opts));
      if (opts.json) ctx.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      else printSummary(ctx, summary);
      if (summary.failed > 0) ctx.exitCode = 1;
    });
}
