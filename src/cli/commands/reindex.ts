import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import type { ReindexProgress, ReindexResult } from '../../engines/engine.js';
import { colors, formatDuration, formatNumber } from '../format.js';
import type { CliContext } from '../context.js';
import { readRawSchema } from './index.js';

interface ReindexCliOptions {
  schema?: string;
  rollback?: boolean;
  json?: boolean;
}

/** Plain progress lines (no terminal): one per tenth of the copy at most, so logs stay short. */
function plainProgress(ctx: CliContext, index: string) {
  let lastTenth = -1;
  return (p: ReindexProgress) => {
    const tenth = p.total === 0 ? 10 : Math.floor((p.copied / p.total) * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    const pct = p.total === 0 ? 100 : Math.round((p.copied / p.total) * 100);
    ctx.stderr.write(
      `reindex "${index}": copied ${formatNumber(p.copied)} of ${formatNumber(p.total)} documents (${pct}%)\n`,
    );
  };
}

/** A progress bar on a terminal; Ctrl-C gives the terminal back and says what is left behind. */
function progressBar(ctx: CliContext) {
  const bar = new SingleBar({
    stream: ctx.stderr,
    format: '{bar} {percentage}% | {value}/{total} docs | ETA {eta_formatted}',
    barsize: 30,
    hideCursor: true,
    fps: 10,
    etaBuffer: 20,
  });
  let started = false;
  const onSigint = () => {
    bar.stop();
    ctx.stderr.write(
      'interrupted: nothing was switched; the next reindex or rollback clears the half-built version\n',
    );
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  return {
    update(p: ReindexProgress) {
      if (!started) {
        bar.start(Math.max(p.total, 1), 0);
        started = true;
      }
      bar.setTotal(Math.max(p.total, 1));
      bar.update(p.copied);
    },
    stop() {
      process.off('SIGINT', onSigint);
      if (started) bar.stop();
    },
  };
}

function printResult(ctx: CliContext, r: ReindexResult, rollback: boolean): void {
  const c = colors(ctx.stdout);
  const took = formatDuration(r.took_ms / 1000);
  const docs = `${formatNumber(r.documents)} documents`;
  if (rollback) {
    ctx.stdout.write(
      `index "${r.index}": ${c.bold(`rolled back from version ${r.from_version} to ${r.to_version}`)}, ${docs}, in ${took}\n` +
        `version ${r.from_version} is kept: "sift reindex ${r.index} --rollback" again returns to it\n`,
    );
  } else {
    ctx.stdout.write(
      `index "${r.index}": ${c.bold(`reindexed version ${r.from_version} -> ${r.to_version}`)}, ${docs}, in ${took}\n` +
        `version ${r.from_version} is kept: "sift reindex ${r.index} --rollback" returns to it\n`,
    );
  }
}

export function registerReindexCommand(program: Command, ctx: CliContext): void {
  program
    .command('reindex')
    .description(
      'rebuild an index as a new version (optionally with a new schema) and switch to it without downtime, ' +
        'or --rollback to the version the last reindex replaced',
    )
    .argument('<index>', 'the index')
    .option('-s, --schema <file>', 'YAML/JSON schema of the new version (default: the current schema)')
    .addOption(
      new Option('--rollback', 'switch back to the version the last reindex replaced').conflicts('schema'),
    )
    .option('--json', 'print the result as JSON')
    .action(async (index: string, opts: ReindexCliOptions) => {
      // Read the schema before opening the engine: a bad file fails fast and touches nothing.
      const raw = opts.schema !== undefined ? readRawSchema(opts.schema) : undefined;
      const bar = !opts.rollback && ctx.stderr.isTTY ? progressBar(ctx) : null;
      const onProgress = bar ? bar.update : opts.json ? undefined : plainProgress(ctx, index);
      let result: ReindexResult;
      try {
        result = await ctx.withService((service) =>
          opts.rollback ? service.rollbackReindex(index) : service.reindex(index, raw, onProgress),
        );
      } finally {
        bar?.stop();
      }
      if (opts.json) ctx.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else printResult(ctx, result, opts.rollback === true);
    });
}
