import { InvalidArgumentError, Option, type Command } from 'commander';
import { SiftError, isSiftError } from '../../errors.js';
import { FORMATS, InputStoppedError, openInput, type ImportFormat } from '../../ingest/input.js';
import { readCsv, readJsonArray, readNdjson, type InputRecord, type Where } from '../../ingest/readers.js';
import type { SearchService } from '../../service/search-service.js';
import { colors, formatDuration, formatNumber } from '../format.js';
import { importProgress, type ImportProgress } from '../import-progress.js';
import type { CliContext } from '../context.js';
import { readRawSchema } from './index.js';

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
  /**
   * How the engine wrote: "rebuild" (the index was empty: rows first, text and secondary indexes built once,
   * one transaction) or "batches" (each batch durable on its own).
   */
  load: 'rebuild' | 'batches';
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
/**
 * Documents per batch by default. Into a live embedded index each batch is one transaction, and each commit
 * writes every page the batch touched (the B-tree indexes' and the text index's pages are shared by many
 * documents): 20,000 took ~15% less CPU per document than 5,000 over the 227k-package corpus (50,000 no less
 * than 20,000), for a write lock held about a second on a quiet machine, well inside other writers' 5 s wait.
 */
export const DEFAULT_BATCH = 20_000;

interface ImportOptions {
  index: string;
  format?: ImportFormat;
  schema?: string;
  batch: number;
  json?: boolean;
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

/** Input records grouped into batches; a stop in the input ends the batches and is handed to `onStop`. */
async function* inBatches(
  records: AsyncIterable<InputRecord>,
  size: number,
  onBatch: (wheres: Where[]) => void,
  onStop: (err: InputStoppedError) => void,
): AsyncGenerator<unknown[]> {
  let items: unknown[] = [];
  let wheres: Where[] = [];
  const take = () => {
    const out = items;
    onBatch(wheres);
    items = [];
    wheres = [];
    return out;
  };
  try {
    for await (const rec of records) {
      items.push(rec.item);
      wheres.push(rec.where);
      if (items.length >= size) yield take();
    }
  } catch (err) {
    // Store what was read before the break, then report where reading stopped.
    if (!(err instanceof InputStoppedError)) throw err;
    onStop(err);
  }
  if (items.length > 0) yield take();
}

export async function runImport(
  ctx: CliContext,
  service: SearchService,
  source: string,
  opts: ImportOptions,
): Promise<ImportSummary> {
  const started = performance.now();
  let bytesRead = 0;
  let progress: ImportProgress | null = null;
  const input = await openInput(source, opts.format, (n) => {
    bytesRead += n;
    progress?.read(bytesRead);
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
    load: 'batches',
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

  // Where each batch handed to the service came from, oldest first, until its results come back.
  const pending: Where[][] = [];
  let stop: InputStoppedError | undefined;
  const batches = inBatches(
    records,
    opts.batch,
    (wheres) => pending.push(wheres),
    (err) => (stop = err),
  );

  progress = importProgress(ctx.stderr, { totalBytes: input.totalBytes, bytesRead, json: !!opts.json });
  let committed = 0;
  // Ctrl-C during the import: give the terminal its cursor back and say what stays stored.
  const onSigint = () => {
    progress?.stop(false);
    ctx.stderr.write(`interrupted; ${formatNumber(committed)} committed documents are stored\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  let complete = false;
  try {
    const { mode } = await service.importStream(opts.index, batches, {
      written: (result) => {
        const wheres = pending.shift()!;
        for (const r of result.items) {
          if (r.error) note({ ...wheres[r.index], id: r.id, code: r.error.code, message: r.error.message });
          else if (r.result === 'created') summary.created++;
          else summary.updated++;
        }
        summary.indexed += result.indexed;
        progress?.processed(summary.indexed + summary.failed);
      },
      durable: (documents) => {
        committed = documents;
        progress?.committed(documents);
      },
    });
    summary.load = mode;
    complete = stop === undefined;
  } finally {
    process.off('SIGINT', onSigint);
    progress.stop(complete);
  }
  if (stop) {
    const failure: ImportFailure = {
      ...(stop.line !== undefined ? { line: stop.line } : {}),
      id: null,
      code: 'INVALID_REQUEST',
      message: stop.message,
    };
    summary.stopped_at = failure;
    note(failure);
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
    .option('-b, --batch <n>', 'documents per batch', parseBatch, DEFAULT_BATCH)
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: ImportOptions) => {
      const summary = await ctx.withService((service) => runImport(ctx, service, file, opts));
      if (opts.json) ctx.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      else printSummary(ctx, summary);
      if (summary.failed > 0) ctx.exitCode = 1;
    });
}
