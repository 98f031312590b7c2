import { createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { SearchService } from '../../service/search-service.js';
import type { CliContext } from '../context.js';
import { exportProgress, type ExportProgress } from '../export-progress.js';
import { formatDuration, formatNumber } from '../format.js';

interface ExportOptions {
  filter?: string;
  output?: string;
  after?: string;
  json?: boolean;
}

export interface ExportSummary {
  index: string;
  /** The file written, or "stdout". */
  output: string;
  filter: string | null;
  /** Resumed after this id, or null. */
  after: string | null;
  documents: number;
  bytes: number;
  /** The id of the last document written: pass it as --after to go on from there. */
  last_id: string | null;
  seconds: number;
  docs_per_second: number;
}

/**
 * Writes the export as NDJSON to what `open` gives, pulling the next document only when it took the previous ones,
 * so memory stays flat however large the index.
 */
export async function runExport(
  service: SearchService,
  index: string,
  open: () => { out: Writable; end: boolean },
  opts: ExportOptions & { progress?: ExportProgress; output: string },
): Promise<ExportSummary> {
  const started = performance.now();
  const summary: ExportSummary = {
    index,
    output: opts.output,
    filter: opts.filter ?? null,
    after: opts.after ?? null,
    documents: 0,
    bytes: 0,
    last_id: null,
    seconds: 0,
    docs_per_second: 0,
  };
  const documents = await service.exportDocuments(index, {
    ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
    ...(opts.after !== undefined ? { after: opts.after } : {}),
    ...(opts.progress ? { onTotal: (n: number) => opts.progress!.total(n) } : {}),
  });
  async function* lines(): AsyncGenerator<string> {
    for await (const { id, document } of documents) {
      const line = `${JSON.stringify(document)}\n`;
      yield line;
      // Counted once the line was taken: the pull of the next one means the stream accepted it.
      summary.documents++;
      summary.bytes += Buffer.byteLength(line);
      summary.last_id = id;
      opts.progress?.written(summary.documents);
    }
  }
  // The output is opened only once the index and the filter have passed: a refused export leaves no file behind.
  // Stdout is not ended (`end: false`): the process may write to it afterwards.
  const { out, end } = open();
  await pipeline(Readable.from(lines()), out, { end });
  summary.seconds = Math.round(performance.now() - started) / 1000;
  summary.docs_per_second = Math.round(summary.documents / Math.max(summary.seconds, 1e-3));
  return summary;
}

export function registerExportCommand(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description("export every document of an index (or a filter's matches) as NDJSON, in id order")
    .argument('<index>', 'the index to export')
    .option(
      '--filter <expression>',
      'export only the documents this filter matches, e.g. \'license = "MIT"\'',
    )
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--after <id>', 'resume: export only documents whose id comes after this one (a last_id)')
    .option('--json', 'print the summary as JSON (to stderr when the documents go to stdout)')
    .action(async (index: string, opts: ExportOptions) => {
      const summary = await ctx.withService(
        async (service) => {
          const progress = exportProgress(ctx.stderr, { json: !!opts.json });
          const file = opts.output;
          const open = () =>
            file !== undefined
              ? { out: createWriteStream(file), end: true }
              : { out: ctx.stdout, end: false };
          try {
            return await runExport(service, index, open, {
              ...opts,
              output: opts.output ?? 'stdout',
              progress,
            });
          } finally {
            progress.stop();
          }
        },
        { readOnly: true },
      );
      // With the documents on stdout, the summary must not mix with them.
      const to = opts.output !== undefined ? ctx.stdout : ctx.stderr;
      if (opts.json) to.write(JSON.stringify(summary, null, 2) + '\n');
      else
        to.write(
          `index "${summary.index}": ${formatNumber(summary.documents)} documents exported to ${summary.output} ` +
            `in ${formatDuration(summary.seconds)}, ${formatNumber(summary.docs_per_second)} docs/s\n`,
        );
    });
}
